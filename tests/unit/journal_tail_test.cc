// ExamineJournalTail: the rule that tells the torn last write of a killed
// run (cut quietly on resume) from damage before the end of the journal
// (good records after the bad bytes: refused unless --force), and the copy
// kept before --force cuts a damaged journal.

#include "master/journal_tail.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "journal_fixtures.h"
#include "master/journal.h"
#include "master/journal_format.h"
#include "test_dir.h"

namespace sortie {
namespace {

namespace fmt = journal_format;

// Replays `path` and examines what follows where it stopped.
JournalTail ExamineAfterReplay(const std::string& path) {
  const ReplayResult replay = ReplayJournal(path, {});
  EXPECT_EQ(replay.error, "");
  EXPECT_TRUE(replay.torn_tail);
  return ExamineJournalTail(path, replay.valid_bytes);
}

TEST_F(JournalTest, ATailTornAtAnyOffsetIsNotDamage) {
  const Layout layout = LayOut(SampleRecords());
  const std::string path = PathFor("torn.journal");
  for (size_t cut = fmt::kHeaderSize + 1; cut < layout.bytes.size(); ++cut) {
    WriteFile(path, layout.bytes.substr(0, cut));
    const ReplayResult replay = ReplayJournal(path, {});
    if (!replay.torn_tail) continue;  // cut between two records
    const JournalTail tail = ExamineJournalTail(path, replay.valid_bytes);
    EXPECT_EQ(tail.error, "") << "cut " << cut;
    EXPECT_FALSE(tail.Damaged()) << "cut " << cut;
    EXPECT_EQ(tail.stop, replay.valid_bytes);
    EXPECT_EQ(tail.file_size, cut);
    EXPECT_EQ(tail.BytesCut(), cut - replay.valid_bytes);
  }
}

// What a power cut may leave after the last good record: blocks of zeros,
// or bytes of no frame at all.
TEST_F(JournalTest, ZerosOrGarbageAfterTheLastRecordAreNotDamage) {
  const Layout layout = LayOut(SampleRecords());
  const std::string path = PathFor("tail.journal");
  for (const std::string& junk :
       {std::string(8192, '\0'), std::string(5000, '\xff'),
        std::string("\x30\x00\x00\x00garbage that is no frame", 28)}) {
    WriteFile(path, layout.bytes + junk);
    const JournalTail tail = ExamineAfterReplay(path);
    EXPECT_FALSE(tail.Damaged());
    EXPECT_EQ(tail.records_after, 0u);
    EXPECT_EQ(tail.BytesCut(), junk.size());
  }
}

TEST_F(JournalTest, AFlippedByteBeforeTheEndIsDamageWithTheRecordsAfterIt) {
  const std::vector<JournalRecord> records = SampleRecords();
  const size_t middle = records.size() / 2;
  const Layout layout = LayOut(records);
  const std::string path = PathFor("flip.journal");
  uint64_t done_after = 0;
  for (size_t i = middle + 1; i < records.size(); ++i) {
    done_after += records[i].type == JournalRecordType::kTaskEnded &&
                  records[i].state == TaskState::kDone;
  }
  for (uint64_t at = layout.ends[middle]; at < layout.ends[middle + 1]; ++at) {
    std::string bytes = layout.bytes;
    bytes[at] = static_cast<char>(bytes[at] ^ 0x5a);
    WriteFile(path, bytes);
    const JournalTail tail = ExamineAfterReplay(path);
    EXPECT_TRUE(tail.Damaged()) << "byte " << at;
    EXPECT_EQ(tail.stop, layout.ends[middle]) << "byte " << at;
    EXPECT_EQ(tail.records_after, records.size() - middle - 1) << "byte " << at;
    EXPECT_EQ(tail.done_after, done_after) << "byte " << at;
    EXPECT_EQ(tail.first_after, layout.ends[middle + 1]) << "byte " << at;
    EXPECT_EQ(tail.file_size, layout.bytes.size());
  }
}

// A damaged record with only a torn one after it: nothing good follows,
// so it cannot be told from a torn tail and is cut like one.
TEST_F(JournalTest, DamageInTheLastRecordIsCutLikeATornTail) {
  const Layout layout = LayOut(SampleRecords());
  std::string bytes = layout.bytes;
  const uint64_t last = layout.ends[layout.ends.size() - 2];
  bytes[last + 9] = static_cast<char>(bytes[last + 9] ^ 1);
  const std::string path = PathFor("last.journal");
  WriteFile(path, bytes);
  EXPECT_FALSE(ExamineAfterReplay(path).Damaged());
}

TEST_F(JournalTest, ExaminingAMissingFileIsAnErrorNamingIt) {
  const std::string path = PathFor("missing.journal");
  const JournalTail tail = ExamineJournalTail(path, fmt::kHeaderSize);
  EXPECT_NE(tail.error.find(path), std::string::npos) << tail.error;
  EXPECT_FALSE(tail.Damaged());
}

TEST_F(JournalTest, TheDamagedCopyKeepsEveryByteAndNeverReplacesAnother) {
  const Layout layout = LayOut(SampleRecords());
  const std::string path = PathFor("run.h5.journal");
  WriteFile(path, layout.bytes);
  std::string error;
  const std::string first = KeepDamagedCopy(path, &error);
  ASSERT_NE(first, "") << error;
  WriteFile(path, layout.bytes + "more");
  const std::string second = KeepDamagedCopy(path, &error);
  ASSERT_NE(second, "") << error;
  EXPECT_NE(first, second);
  EXPECT_EQ(first.rfind(path + ".damaged-", 0), 0u) << first;
  EXPECT_EQ(ReadFile(first), layout.bytes);
  EXPECT_EQ(ReadFile(second), layout.bytes + "more");
}

TEST_F(JournalTest, NoCopyOfAMissingJournal) {
  std::string error;
  EXPECT_EQ(KeepDamagedCopy(PathFor("missing.journal"), &error), "");
  EXPECT_NE(error.find("missing.journal"), std::string::npos) << error;
}

}  // namespace
}  // namespace sortie
