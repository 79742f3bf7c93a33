// Columns gathered in one pass over the rows, several feeds taking each row
// in turn (run_file_columns.h), are packed byte for byte like each column
// gathered on its own.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "master/run_file_columns.h"

namespace sortie::run_file_internal {
namespace {

// Rows of varied widths: several chunks of every column, runs of the fill
// value (skipped chunks) and a last, partial chunk.
constexpr size_t kRows = 100003;

std::string Name(size_t row) {
  if (row < 40000) return "same";
  return "task-" + std::to_string(row % 977) + std::string(row % 13, 'x');
}
int32_t Count(size_t row) {
  return row < 70000 ? 1 : static_cast<int32_t>(row % 5);
}
double Seconds(size_t row) {
  return row % 3 == 0 ? 0.5 : static_cast<double>(row) * 0.25;
}

void ExpectSame(const PackedColumn& got, const PackedColumn& want) {
  EXPECT_EQ(got.type, want.type);
  EXPECT_EQ(got.cset, want.cset);
  EXPECT_EQ(got.row_bytes, want.row_bytes);
  EXPECT_EQ(got.rows, want.rows);
  EXPECT_EQ(got.chunk_rows, want.chunk_rows);
  EXPECT_EQ(got.fill, want.fill);
  ASSERT_EQ(got.chunks.size(), want.chunks.size());
  for (size_t i = 0; i < got.chunks.size(); ++i) {
    EXPECT_EQ(got.chunks[i].first, want.chunks[i].first) << "chunk " << i;
    EXPECT_EQ(got.chunks[i].second, want.chunks[i].second) << "chunk " << i;
  }
}

TEST(ColumnFeedsTest, OnePassPacksWhatColumnAtATimePacks) {
  auto name = [](size_t row) { return Name(row); };
  auto empty = [](size_t) { return std::string(); };
  auto count = [](size_t row) { return Count(row); };
  auto seconds = [](size_t row) { return Seconds(row); };
  const auto width = LongestValues(kRows, name, empty);
  EXPECT_EQ(width[0], std::string("task-976").size() + 12);
  EXPECT_EQ(width[1], 1u);  // HDF5 has no 0-byte strings
  TextFeed name_feed(kRows, H5T_CSET_UTF8, width[0], name, false);
  TextFeed empty_feed(kRows, H5T_CSET_UTF8, width[1], empty, true);
  NumberFeed<int32_t, decltype(count)> count_feed(kRows, count, true);
  NumberFeed<double, decltype(seconds)> seconds_feed(kRows, seconds, false);
  FeedRows(kRows, name_feed, empty_feed, count_feed, seconds_feed);

  const PackedColumn names = name_feed.Finish();
  EXPECT_GT(names.chunks.size(), 1u);
  EXPECT_LT(names.chunks.front().first, 40000u + names.chunk_rows);
  ExpectSame(names, PackTextColumn(kRows, name));
  const PackedColumn empties = empty_feed.Finish();
  EXPECT_TRUE(empties.chunks.empty());
  ExpectSame(empties, PackTextColumn(kRows, empty));
  ExpectSame(count_feed.Finish(), PackNumberColumn<int32_t>(kRows, count));
  ExpectSame(seconds_feed.Finish(), PackNumberColumn<double>(kRows, seconds));
}

TEST(ColumnFeedsTest, NoRowsMakeEmptyColumns) {
  auto name = [](size_t row) { return Name(row); };
  const auto width = LongestValues(0, name);
  TextFeed name_feed(0, H5T_CSET_UTF8, width[0], name, false);
  FeedRows(0, name_feed);
  ExpectSame(name_feed.Finish(), PackTextColumn(0, name));
}

TEST(ColumnFeedsTest, ValueWiderThanItsColumnIsRefused) {
  auto name = [](size_t row) { return Name(row); };
  TextFeed name_feed(kRows, H5T_CSET_UTF8, 4, name, false);
  EXPECT_THROW(FeedRows(kRows, name_feed), std::logic_error);
}

}  // namespace
}  // namespace sortie::run_file_internal
