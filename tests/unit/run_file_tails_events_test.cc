// What run.h5 keeps of each task beyond its spec and status: the reasons,
// the output tails (byte for byte, in blobs), every state by its name, the
// /events group, and the /results long table.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/h5.h"
#include "master/run_file.h"
#include "run_file_fixtures.h"

namespace sortie::run_file_testing {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

TEST(RunFileTest, WritesReasonsAndOutputTailsByteForByte) {
  const fs::path path = TestDir() / "RUN.h5";
  const RunData run = SampleRun();
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  const hid_t f = file.get();
  EXPECT_THAT(StringColumn(f, "reason"),
              ElementsAre("", "", "", "exit status 3", "killed by signal 9"));
  // Spelled out: a NUL first, bytes that are not UTF-8, a cut character.
  const std::string binary = std::string("\0bin\xff\xfe", 6) + "\xe2\x9c";
  EXPECT_THAT(BlobValues(f, "stdout_tail"),
              ElementsAre("", "step 1 of 9\n", "hi\n", "", binary));
  const std::vector<std::string> err = BlobValues(f, "stderr_tail");
  ASSERT_EQ(err.size(), 5u);
  EXPECT_EQ(err[3], "Traceback:\nValueError: ü\n");
  EXPECT_EQ(err[4].size(), kOutputTailBytes);
  EXPECT_EQ(err[4], AwkwardTail(kOutputTailBytes));
  // The blob is the tails back to back: no padding, no separators.
  EXPECT_EQ(BlobBytes(f, "stdout_tail"), "step 1 of 9\nhi\n" + binary);
  EXPECT_THAT(Offsets(f, "stdout_tail"), ElementsAre(0, 0, 12, 15, 15, 23));
}

TEST(RunFileTest, TailBlobsAreBytesAndOffsetsInt64) {
  const fs::path path = TestDir() / "RUN.h5";
  WriteRunFile(path, SampleRun().View());
  const H5File file = OpenFileReadOnly(path);
  for (const std::string& blob : kBlobs) {
    SCOPED_TRACE(blob);
    EXPECT_GT(
        H5Tequal(DatasetType(file.get(), blob + "_blob").get(), H5T_STD_U8LE),
        0);
    EXPECT_GT(H5Tequal(DatasetType(file.get(), blob + "_offsets").get(),
                       H5T_STD_I64LE),
              0);
    EXPECT_EQ(Rows(file.get(), blob + "_offsets"), 6u);  // tasks + 1
    const std::vector<int64_t> offsets = Offsets(file.get(), blob);
    EXPECT_EQ(offsets.front(), 0);
    EXPECT_EQ(static_cast<hsize_t>(offsets.back()),
              Rows(file.get(), blob + "_blob"));
  }
}

TEST(RunFileTest, RunWithoutOutputHasEmptyBlobsAndZeroOffsets) {
  const fs::path path = TestDir() / "RUN.h5";
  RunData run = SampleRun();
  run.notes.assign(run.specs.size(), TaskNotes{});
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  for (const std::string& blob : kBlobs) {
    EXPECT_EQ(Rows(file.get(), blob + "_blob"), 0u) << blob;
    EXPECT_EQ(ChunkRows(file.get(), blob + "_blob"), 0u) << blob;
    EXPECT_THAT(Offsets(file.get(), blob), ElementsAre(0, 0, 0, 0, 0, 0));
    EXPECT_THAT(BlobValues(file.get(), blob), ElementsAre("", "", "", "", ""));
  }
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "reason").get()), 1u);
  EXPECT_THAT(StringColumn(file.get(), "reason"),
              ElementsAre("", "", "", "", ""));
}

TEST(RunFileTest, EveryStateIsWrittenByItsName) {
  for (size_t state = 0; state < kTaskStateCount; ++state) {
    const std::string_view name = StateName(static_cast<TaskState>(state));
    EXPECT_LE(name.size(), size_t{kStateNameWidth}) << name;
    EXPECT_NE(name, "UNKNOWN") << state;
  }
  const fs::path path = TestDir() / "RUN.h5";
  const RunData run = LifecycleRun();
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  EXPECT_THAT(StringColumn(file.get(), "state"),
              ElementsAre("FAILED", "SKIPPED", "TIMEOUT", "DONE", "INTERRUPTED",
                          "FAILED", "DONE"));
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "state").get()),
            size_t{kStateNameWidth});
  // The Latin-1 byte of the launch error is stored as it came.
  EXPECT_EQ(StringColumn(file.get(), "reason")[5],
            "exec /scratch/caf\xe9/run: No such file or directory");
  ExpectColumnsMatch(file.get(), run);
}

TEST(RunFileTest, EventsGroupHasOneRowPerEventInOrder) {
  const fs::path path = TestDir() / "RUN.h5";
  const RunData run = SampleRun();
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  const H5Group events(H5Gopen2(file.get(), "events", H5P_DEFAULT));
  ASSERT_TRUE(events);
  EXPECT_EQ(ReadStringListAttribute(events.get(), "columns"), kEventColumns);
  H5G_info_t info;
  ASSERT_GE(H5Gget_info(events.get(), &info), 0);
  EXPECT_EQ(info.nlinks, kEventColumns.size());
  ExpectEventsMatch(file.get(), run.events);
  // Spelled out once, so a shared mistake in ExpectEventsMatch cannot hide.
  EXPECT_THAT(StringColumn(file.get(), "event", "events"),
              ElementsAre("STARTED", "STARTED", "STARTED", "STARTED", "FAILED",
                          "DONE", "TIMEOUT", "STARTED", "STARTED", "FAILED",
                          "INTERRUPTED", "STARTED", "FAILED"));
  EXPECT_THAT(Int32Column(file.get(), "task", "events"),
              ElementsAre(2, 1, 3, 4, 3, 2, 4, 3, 4, 3, 4, 4, 4));
  EXPECT_THAT(Int32Column(file.get(), "attempt", "events"),
              ElementsAre(1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3));
  for (const char* column : {"task", "attempt", "rank"}) {
    EXPECT_GT(H5Tequal(DatasetType(file.get(), column, "events").get(),
                       H5T_STD_I32LE),
              0)
        << column;
  }
  EXPECT_GT(
      H5Tequal(DatasetType(file.get(), "time", "events").get(), H5T_IEEE_F64LE),
      0);
  const H5Type event = DatasetType(file.get(), "event", "events");
  EXPECT_EQ(H5Tis_variable_str(event.get()), 0);
  EXPECT_EQ(H5Tget_size(event.get()), size_t{kStateNameWidth});
  EXPECT_EQ(H5Tget_strpad(event.get()), H5T_STR_NULLPAD);
  EXPECT_EQ(H5Tget_cset(event.get()), H5T_CSET_ASCII);
}

TEST(RunFileTest, NoEventsGiveEmptyEventColumns) {
  const fs::path path = TestDir() / "RUN.h5";
  RunData run = SampleRun();
  run.events.clear();
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  const H5Group events(H5Gopen2(file.get(), "events", H5P_DEFAULT));
  EXPECT_EQ(ReadStringListAttribute(events.get(), "columns"), kEventColumns);
  for (const std::string& column : kEventColumns) {
    EXPECT_EQ(Rows(file.get(), column, "events"), 0u) << column;
    EXPECT_EQ(ChunkRows(file.get(), column, "events"), 0u) << column;
  }
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "event", "events").get()),
            size_t{kStateNameWidth});
}

TEST(RunFileTest, LongReasonsAreCutAtACharacterBoundary) {
  const fs::path path = TestDir() / "RUN.h5";
  RunData run = SampleRun();
  const std::string ellipsis = "…";
  run.notes[0].reason = std::string(300, 'x');
  // The cut (byte 253) falls on the second byte of "ü", then of "✓".
  run.notes[1].reason = std::string(252, 'y') + "ü" + std::string(100, 'z');
  run.notes[2].reason = std::string(256, 'w');  // exactly the cap: kept
  run.notes[3].reason = std::string(251, 'v') + "✓tail";
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  const std::vector<std::string> reasons = StringColumn(file.get(), "reason");
  ASSERT_EQ(reasons.size(), 5u);
  EXPECT_EQ(reasons[0], std::string(253, 'x') + ellipsis);
  EXPECT_EQ(reasons[1], std::string(252, 'y') + ellipsis);
  EXPECT_EQ(reasons[2], run.notes[2].reason);
  EXPECT_EQ(reasons[3], std::string(251, 'v') + ellipsis);
  EXPECT_EQ(reasons[4], run.notes[4].reason);
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "reason").get()), 256u);
}

// /results: the latest attempt's results of each task, tasks in row order,
// a NaN value for text; written (with 0 rows) when no task has any.
TEST(RunFileTest, WritesResultsAsALongTable) {
  const fs::path path = TestDir() / "RUN.h5";
  RunData run = SampleRun();
  WriteRunFile(path, run.View());
  {
    const H5File empty = OpenFileReadOnly(path);
    for (const char* column : {"task", "key", "value", "text"}) {
      EXPECT_EQ(Rows(empty.get(), column, "results"), 0u) << column;
    }
    const H5Group group(H5Gopen2(empty.get(), "results", H5P_DEFAULT));
    ASSERT_TRUE(group);
    EXPECT_THAT(ReadStringListAttribute(group.get(), "columns"),
                ElementsAre("task", "key", "value", "text"));
  }
  run.notes[3].results = {{"nodes", 4, "4"}, {"time", 0.52, "0.52"}};
  run.notes[1].results = {{"solver", kNoTime, "cg ✓"}};
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  const hid_t f = file.get();
  EXPECT_THAT(Int32Column(f, "task", "results"), ElementsAre(1, 3, 3));
  EXPECT_THAT(StringColumn(f, "key", "results"),
              ElementsAre("solver", "nodes", "time"));
  EXPECT_THAT(StringColumn(f, "text", "results"),
              ElementsAre("cg ✓", "4", "0.52"));
  const std::vector<double> values = Float64Column(f, "value", "results");
  ASSERT_EQ(values.size(), 3u);
  EXPECT_TRUE(std::isnan(values[0]));
  EXPECT_EQ(values[1], 4.0);
  EXPECT_EQ(values[2], 0.52);
  EXPECT_GT(H5Tequal(DatasetType(f, "value", "results").get(), H5T_IEEE_F64LE),
            0);
  EXPECT_GT(H5Tequal(DatasetType(f, "task", "results").get(), H5T_STD_I32LE),
            0);
}

}  // namespace
}  // namespace sortie::run_file_testing
