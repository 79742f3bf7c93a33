// Resuming a journal: cutting a torn tail with TruncateJournal and
// appending after the good prefix with JournalWriter::OpenForAppend.

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "journal_fixtures.h"
#include "master/journal.h"
#include "master/journal_format.h"
#include "test_dir.h"

namespace sortie {
namespace {

namespace fmt = journal_format;

TEST_F(JournalTest, TruncateThenAppendContinuesAfterTheGoodPrefix) {
  const std::string path = PathFor("resume.journal");
  std::vector<JournalRecord> expected;
  {
    JournalWriter writer(path);
    for (uint64_t i = 0; i < 5; ++i) {
      expected.push_back(MakeRecord(i));
      writer.Append(expected.back());
    }
  }
  const std::string torn = EncodeJournalRecord(MakeRecord(99)).substr(0, 11);
  WriteFile(path, ReadFile(path) + torn);
  const Replayed before = Replay(path);
  ASSERT_TRUE(before.result.torn_tail);
  ASSERT_EQ(before.records, expected);

  std::string error;
  ASSERT_TRUE(TruncateJournal(path, before.result.valid_bytes, &error))
      << error;
  EXPECT_EQ(std::filesystem::file_size(path), before.result.valid_bytes);
  {
    std::unique_ptr<JournalWriter> writer = JournalWriter::OpenForAppend(path);
    for (uint64_t i = 5; i < 8; ++i) {
      expected.push_back(MakeRecord(i));
      writer->Append(expected.back());
    }
    writer->Flush();
  }
  const Replayed after = Replay(path);
  EXPECT_FALSE(after.result.torn_tail);
  EXPECT_EQ(after.result.error, "");
  EXPECT_EQ(after.records, expected);
}

TEST_F(JournalTest, TruncateRefusesToCutTheHeaderOrGrow) {
  const std::string path = PathFor("cut.journal");
  {
    JournalWriter writer(path);
    writer.Append(MakeRecord(0));
  }
  const uint64_t size = std::filesystem::file_size(path);
  std::string error;
  EXPECT_FALSE(TruncateJournal(path, fmt::kHeaderSize - 1, &error));
  EXPECT_NE(error.find(path), std::string::npos) << error;
  error.clear();
  EXPECT_FALSE(TruncateJournal(path, size + 1, &error));
  EXPECT_NE(error.find(path), std::string::npos) << error;
  EXPECT_EQ(std::filesystem::file_size(path), size);
  error.clear();
  EXPECT_FALSE(TruncateJournal(PathFor("missing"), 100, &error));
  EXPECT_NE(error.find(PathFor("missing")), std::string::npos) << error;
  EXPECT_FALSE(std::filesystem::exists(PathFor("missing")));
  EXPECT_TRUE(TruncateJournal(path, size, &error)) << error;  // no-op
  EXPECT_TRUE(TruncateJournal(path, fmt::kHeaderSize, &error)) << error;
  EXPECT_EQ(Replay(path).result.records, 0u);
}

TEST_F(JournalTest, OpenForAppendRejectsMissingAndForeignFiles) {
  EXPECT_THROW(JournalWriter::OpenForAppend(PathFor("missing")),
               std::runtime_error);
  EXPECT_FALSE(std::filesystem::exists(PathFor("missing")));
  for (const std::string& bytes : {std::string(), std::string("SORTIEJ1"),
                                   std::string("garbage garbage garbage")}) {
    WriteFile(PathFor("foreign"), bytes);
    EXPECT_THROW(JournalWriter::OpenForAppend(PathFor("foreign")),
                 std::runtime_error);
    EXPECT_EQ(ReadFile(PathFor("foreign")), bytes);  // left untouched
  }
}

}  // namespace
}  // namespace sortie
