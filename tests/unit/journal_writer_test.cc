// JournalWriter: creating a journal, buffering appends, handing blocks to
// the writing thread, flushing and syncing, and what it refuses.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/task.h"
#include "journal_fixtures.h"
#include "master/journal.h"
#include "master/journal_format.h"
#include "test_dir.h"

namespace sortie {
namespace {

namespace fmt = journal_format;

// The frames of `records` back to back, as the writer should lay them out.
std::string Frames(const std::vector<JournalRecord>& records) {
  std::string bytes;
  for (const auto& r : records) bytes += EncodeJournalRecord(r);
  return bytes;
}

TEST_F(JournalTest, ReplayReturnsEveryFlushedRecordInOrder) {
  const std::string path = PathFor("run.journal");
  std::vector<JournalRecord> written;
  for (uint64_t i = 0; i < 60'000; ++i) written.push_back(MakeRecord(i));
  for (const auto& r : SampleRecords()) written.push_back(r);
  {
    JournalWriter writer(path);
    for (const auto& r : written) writer.Append(r);
    writer.Flush();
    EXPECT_EQ(writer.Pending(), 0u);
  }
  const std::string bytes = ReadFile(path);
  EXPECT_EQ(bytes, fmt::EncodeHeader() + Frames(written));
  const Replayed got = Replay(path);
  EXPECT_EQ(got.result.error, "");
  EXPECT_FALSE(got.result.torn_tail);
  EXPECT_EQ(got.result.records, written.size());
  EXPECT_EQ(got.result.valid_bytes, bytes.size());
  EXPECT_EQ(got.records, written);
}

TEST_F(JournalTest, RecordsLargerThanTheBuffersRoundTrip) {
  const std::string path = PathFor("big.journal");
  const std::vector<JournalRecord> written = {
      MakeRecord(0), TaskStarted(1, 0, 0, std::string(3 << 20, 'h'), 1),
      MakeRecord(2), RunStarted(std::string(5 << 20, 'm'), "s", 1, 1, 1),
      MakeRecord(3)};
  JournalWriter writer(path);
  for (const auto& r : written) writer.Append(r);
  writer.Flush();
  EXPECT_EQ(Replay(path).records, written);
}

TEST_F(JournalTest, FullSizeTailsSurviveTheFileByteForByte) {
  const std::string path = PathFor("tails.journal");
  std::vector<JournalRecord> written;
  for (uint32_t row = 0; row < 40; ++row) {
    // Full 4 KiB tails with NULs and bad UTF-8, alternating with empty ones,
    // and enough of them to cross a write block.
    const bool full = row % 2 == 0;
    written.push_back(Detailed(
        TaskEnded(row, 1, TaskState::kFailed, 1, 0, row),
        static_cast<int32_t>(row), full ? "reason " + std::to_string(row) : "",
        full ? AwkwardTail(kOutputTailBytes) : "",
        full ? AwkwardTail(kOutputTailBytes - row) : ""));
  }
  {
    JournalWriter writer(path);
    for (const auto& r : written) writer.Append(r);
    writer.Flush();
  }
  const Replayed got = Replay(path);
  EXPECT_EQ(got.result.error, "");
  EXPECT_FALSE(got.result.torn_tail);
  ASSERT_EQ(got.records, written);
  EXPECT_EQ(got.records[0].stdout_tail.size(), kOutputTailBytes);
  EXPECT_EQ(got.records[0].stdout_tail.substr(0, 2), "\xe2\x9c");
  EXPECT_NE(got.records[0].stderr_tail.find('\0'), std::string::npos);
  EXPECT_EQ(got.records[1].stdout_tail, "");
}

TEST_F(JournalTest, NewJournalHoldsOnlyTheHeader) {
  const std::string path = PathFor("empty.journal");
  JournalWriter writer(path);
  EXPECT_EQ(ReadFile(path), fmt::EncodeHeader());  // synced before returning
  const Replayed got = Replay(path);
  EXPECT_EQ(got.result.error, "");
  EXPECT_EQ(got.result.records, 0u);
  EXPECT_EQ(got.result.valid_bytes, fmt::kHeaderSize);
  EXPECT_FALSE(got.result.torn_tail);
}

TEST_F(JournalTest, AppendBuffersUntilFlushOrAMegabyte) {
  const std::string path = PathFor("buffer.journal");
  JournalWriter writer(path);
  writer.Append(MakeRecord(1));
  writer.Append(MakeRecord(2));
  EXPECT_EQ(writer.Pending(), 2u);
  EXPECT_EQ(std::filesystem::file_size(path), fmt::kHeaderSize);
  for (uint64_t i = 0; i < 50'000; ++i) writer.Append(MakeRecord(1));
  EXPECT_EQ(writer.Pending(), 50'002u);  // written out, but not yet durable
  // The full megabyte went to the flusher's thread, which writes it on its
  // own time: wait for the file to grow rather than catch it mid-write.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::filesystem::file_size(path) <= (uint64_t{1} << 20) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_GT(std::filesystem::file_size(path), uint64_t{1} << 20);
  writer.Flush();
  EXPECT_EQ(writer.Pending(), 0u);
  EXPECT_EQ(Replay(path).result.records, 50'002u);
}

TEST_F(JournalTest, OversizedRecordIsRefusedAndTheWriterCarriesOn) {
  const std::string path = PathFor("oversized.journal");
  JournalWriter writer(path);
  writer.Append(MakeRecord(0));
  JournalRecord huge = TaskStarted(1, 0, 0, "", 1);
  huge.text.assign(fmt::kMaxPayloadSize, 'x');
  EXPECT_THROW(writer.Append(huge), std::length_error);
  EXPECT_EQ(writer.Pending(), 1u);
  writer.Append(MakeRecord(1));
  writer.Flush();
  EXPECT_EQ(Replay(path).records,
            (std::vector<JournalRecord>{MakeRecord(0), MakeRecord(1)}));
}

TEST_F(JournalTest, DestructorFlushes) {
  const std::string path = PathFor("dtor.journal");
  {
    JournalWriter writer(path);
    writer.Append(MakeRecord(0));
    writer.Append(MakeRecord(1));
  }
  EXPECT_EQ(Replay(path).records,
            (std::vector<JournalRecord>{MakeRecord(0), MakeRecord(1)}));
}

TEST_F(JournalTest, NewWriterTruncatesAnOldJournal) {
  const std::string path = PathFor("again.journal");
  {
    JournalWriter writer(path);
    writer.Append(MakeRecord(0));
  }
  { JournalWriter writer(path); }
  EXPECT_EQ(Replay(path).result.records, 0u);
}

TEST_F(JournalTest, CreateFailureNamesThePath) {
  const std::string path = PathFor("no/such/dir/run.journal");
  try {
    JournalWriter writer(path);
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos);
  }
  EXPECT_THROW(JournalWriter("/dev/full"), std::runtime_error);  // ENOSPC
}

// FlushSoon returns before the disk is done; Pending() counts the records
// until the writing thread has synced them, and they are in the file then.
TEST_F(JournalTest, FlushSoonSyncsOnTheWritingThread) {
  const std::string path = PathFor("soon.journal");
  JournalWriter writer(path);
  for (uint64_t i = 0; i < 1000; ++i) writer.Append(MakeRecord(i));
  EXPECT_EQ(writer.Pending(), 1000u);
  writer.FlushSoon();
  writer.FlushSoon();  // nothing new: asks for no second sync
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (writer.Pending() > 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(writer.Pending(), 0u);
  const Replayed got = Replay(path);
  ASSERT_EQ(got.records.size(), 1000u);
  EXPECT_EQ(got.records.back(), MakeRecord(999));
  writer.Append(MakeRecord(1000));
  EXPECT_EQ(writer.Pending(), 1u);
  writer.Flush();
  EXPECT_EQ(writer.Pending(), 0u);
  EXPECT_EQ(Replay(path).records.size(), 1001u);
}

// A guard against gross regressions, not a benchmark: a million-task run
// ends a million tasks, and the master appends from its event loop.
TEST_F(JournalTest, MillionTaskEndedAppendsAndAFlushTakeWellUnderASecond) {
#ifdef SORTIE_SANITIZED
  GTEST_SKIP() << "timing is meaningless under sanitizers";
#endif
  const std::string path = PathFor("speed.journal");
  constexpr uint32_t kRecords = 1'000'000;
  JournalRecord record =
      Detailed(TaskEnded(0, 1, TaskState::kDone, 0, 0, 1.7e9), 17, "", "", "");
  JournalWriter writer(path);
  const auto start = std::chrono::steady_clock::now();
  for (uint32_t row = 0; row < kRecords; ++row) {
    record.row = row;
    record.time += 0.001;
    writer.Append(record);
  }
  const auto appended = std::chrono::steady_clock::now();
  writer.Flush();
  const auto flushed = std::chrono::steady_clock::now();
  const std::chrono::duration<double> append_s = appended - start;
  const std::chrono::duration<double> total_s = flushed - start;
  const auto bytes = std::filesystem::file_size(path);
  std::printf(
      "1,000,000 TaskEnded: append %.3f s, with flush %.3f s, %ju bytes\n",
      append_s.count(), total_s.count(), static_cast<uintmax_t>(bytes));
  RecordProperty("seconds", std::to_string(total_s.count()));
  EXPECT_EQ(bytes, fmt::kHeaderSize + uint64_t{kRecords} * 50);
  EXPECT_LT(total_s.count(), 1.0);
  const auto replay_start = std::chrono::steady_clock::now();
  const ReplayResult replayed = ReplayJournal(path, nullptr);
  const std::chrono::duration<double> replay_s =
      std::chrono::steady_clock::now() - replay_start;
  std::printf("replay %.3f s\n", replay_s.count());
  EXPECT_EQ(replayed.records, kRecords);
  EXPECT_LT(replay_s.count(), 1.0);
}

}  // namespace
}  // namespace sortie
