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

// A journal written before the node records existed (version 4) is read as
// it is, and marked version 5 before anything is appended to it, so the
// sortie that wrote it refuses it instead of cutting the new records off as
// a torn tail.
TEST_F(JournalTest, AVersionFourJournalIsReadAndMarkedFiveToAppend) {
  const std::string path = PathFor("v4.journal");
  const std::vector<JournalRecord> old = {
      RunStarted("m.jsonl", "", 2, 2, 1.0), TaskStarted(0, 1, 1, "n1", 2.0),
      TaskEnded(0, 1, TaskState::kDone, 0, 0, 3.0)};
  std::string bytes = std::string("SORTIEJ1\x04\x00\x00\x00", 12);
  for (const JournalRecord& record : old) bytes += EncodeJournalRecord(record);
  WriteFile(path, bytes);
  const Replayed before = Replay(path);
  EXPECT_EQ(before.result.error, "");
  EXPECT_EQ(before.records, old);
  EXPECT_EQ(ReadFile(path), bytes);  // reading changes nothing

  const JournalRecord nodes = AllocationNodes({{1, "n1", 4, 0}});
  {
    std::unique_ptr<JournalWriter> writer = JournalWriter::OpenForAppend(path);
    writer->Append(RunResumed(4.0, 2, ""));
    writer->Append(nodes);
    writer->Flush();
  }
  const std::string after = ReadFile(path);
  EXPECT_EQ(after.substr(0, fmt::kHeaderSize), fmt::EncodeHeader());
  EXPECT_EQ(after.substr(fmt::kHeaderSize, bytes.size() - fmt::kHeaderSize),
            bytes.substr(fmt::kHeaderSize));
  std::vector<JournalRecord> expected = old;
  expected.push_back(RunResumed(4.0, 2, ""));
  expected.push_back(nodes);
  EXPECT_EQ(Replay(path).records, expected);
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
