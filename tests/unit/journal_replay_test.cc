// ReplayJournal on damaged and foreign files: a torn tail at any offset, a
// flipped bit, undecodable payloads, impossible lengths, files that are not
// journals, and a journal of an older format version.

#include <gtest/gtest.h>

#include <cstdint>
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

TEST_F(JournalTest, TruncationAtEveryOffsetReplaysTheCompletePrefix) {
  const std::vector<JournalRecord> records = SampleRecords();
  const std::string path = PathFor("torn.journal");
  {
    JournalWriter writer(path);
    for (const auto& r : records) writer.Append(r);
  }
  const Layout layout = LayOut(records);
  ASSERT_EQ(ReadFile(path), layout.bytes);
  for (size_t cut = 0; cut <= layout.bytes.size(); ++cut) {
    WriteFile(path, layout.bytes.substr(0, cut));
    const Replayed got = Replay(path);
    if (cut < fmt::kHeaderSize) {
      EXPECT_NE(got.result.error, "") << "cut " << cut;
      EXPECT_TRUE(got.records.empty());
      continue;
    }
    size_t complete = 0;
    while (complete + 1 < layout.ends.size() &&
           layout.ends[complete + 1] <= cut) {
      ++complete;
    }
    ASSERT_EQ(got.result.error, "") << "cut " << cut;
    ASSERT_EQ(got.result.records, complete) << "cut " << cut;
    EXPECT_EQ(got.result.valid_bytes, layout.ends[complete]) << "cut " << cut;
    EXPECT_EQ(got.result.torn_tail, cut != layout.ends[complete])
        << "cut " << cut;
    EXPECT_EQ(got.records, std::vector<JournalRecord>(
                               records.begin(),
                               records.begin() + static_cast<long>(complete)));
  }
}

TEST_F(JournalTest, AnyFlippedBitInAMiddleRecordStopsReplayThere) {
  const std::vector<JournalRecord> records = SampleRecords();
  const size_t middle = records.size() / 2;
  const Layout layout = LayOut(records);
  const std::string path = PathFor("flip.journal");
  const std::vector<JournalRecord> prefix(
      records.begin(), records.begin() + static_cast<long>(middle));
  for (uint64_t bit = layout.ends[middle] * 8;
       bit < layout.ends[middle + 1] * 8; ++bit) {
    std::string bytes = layout.bytes;
    bytes[bit / 8] = static_cast<char>(bytes[bit / 8] ^ (1 << (bit % 8)));
    WriteFile(path, bytes);
    const Replayed got = Replay(path);
    ASSERT_EQ(got.records, prefix) << "bit " << bit;
    EXPECT_EQ(got.result.valid_bytes, layout.ends[middle]) << "bit " << bit;
    EXPECT_TRUE(got.result.torn_tail) << "bit " << bit;
    EXPECT_NE(got.result.stop_reason, "") << "bit " << bit;
    EXPECT_EQ(got.result.error, "") << "bit " << bit;
  }
}

TEST_F(JournalTest, UndecodablePayloadWithGoodCrcStopsReplay) {
  const std::string path = PathFor("undecodable.journal");
  const std::string good = EncodeJournalRecord(MakeRecord(0));
  for (const std::string& payload :
       {std::string("\x09", 1), std::string("\x04\x00", 2),
        EncodeJournalRecord(RunFinished(1, 0)).substr(8) + "x"}) {
    WriteFile(path, fmt::EncodeHeader() + good + RawFrame(payload) + good);
    const Replayed got = Replay(path);
    EXPECT_EQ(got.records, std::vector<JournalRecord>{MakeRecord(0)});
    EXPECT_EQ(got.result.valid_bytes, fmt::kHeaderSize + good.size());
    EXPECT_TRUE(got.result.torn_tail);
    EXPECT_NE(got.result.stop_reason.find("undecodable"), std::string::npos)
        << got.result.stop_reason;
  }
}

TEST_F(JournalTest, ImpossibleLengthsStopWithoutReadingOn) {
  const std::string path = PathFor("length.journal");
  const std::string good = EncodeJournalRecord(MakeRecord(0));
  for (uint32_t length :
       {0u, fmt::kMaxPayloadSize, fmt::kMaxPayloadSize + 1, 0xFFFFFFFFu}) {
    std::string frame(8, '\0');
    fmt::Store(frame.data(), length);
    WriteFile(path, fmt::EncodeHeader() + good + frame + good + good);
    const Replayed got = Replay(path);
    EXPECT_EQ(got.result.records, 1u) << "length " << length;
    EXPECT_EQ(got.result.valid_bytes, fmt::kHeaderSize + good.size());
    EXPECT_TRUE(got.result.torn_tail);
    // A length the format allows but the file cannot hold is a torn frame,
    // found from the file's size before any buffer grows to read it.
    const std::string why = length == fmt::kMaxPayloadSize
                                ? "torn frame at offset "
                                : "bad frame length at offset ";
    EXPECT_EQ(got.result.stop_reason,
              why + std::to_string(fmt::kHeaderSize + good.size()))
        << "length " << length;
  }
}

TEST_F(JournalTest, NonJournalsAreErrorsNotEmptyJournals) {
  const std::string path = PathFor("foreign");
  std::string newer_version = fmt::EncodeHeader();
  newer_version[8] = static_cast<char>(fmt::kJournalVersion + 1);
  const std::vector<std::string> contents = {
      "",  // documented: an empty file is an error, not an empty journal
      "SORTI",
      "not a journal at all, just some text\n",
      std::string("\x89HDF\r\n\x1a\n\0\0\0\0\0\0\0\0", 16),
      newer_version + EncodeJournalRecord(MakeRecord(0)),
      std::string("SORTIEJ2\x01\0\0\0", 12) +
          EncodeJournalRecord(MakeRecord(0)),
  };
  for (const std::string& bytes : contents) {
    WriteFile(path, bytes);
    const Replayed got = Replay(path);
    EXPECT_NE(got.result.error, "") << "contents " << bytes;
    EXPECT_NE(got.result.error.find(path), std::string::npos);
    EXPECT_TRUE(got.records.empty());
    EXPECT_EQ(got.result.records, 0u);
  }
  EXPECT_NE(Replay(PathFor("missing")).result.error, "");
  EXPECT_NE(Replay(dir_.string()).result.error, "");  // a directory
}

// A version-1 journal as the previous sortie wrote it: the old header and a
// TaskEnded frame in the old 26-byte layout.
std::string VersionOneJournal() {
  const std::string old_task_ended{
      // type | row 7 | attempt 1 | state FAILED | exit 2 | signal 0 | 1.0
      "\x03"
      "\x07\x00\x00\x00"
      "\x01\x00\x00\x00"
      "\x03"
      "\x02\x00\x00\x00"
      "\x00\x00\x00\x00"
      "\x00\x00\x00\x00\x00\x00\xf0\x3f",
      26};
  return std::string("SORTIEJ1\x01\x00\x00\x00", 12) + RawFrame(old_task_ended);
}

TEST_F(JournalTest, VersionOneJournalIsRejectedWithAClearError) {
  const std::string path = PathFor("v1.journal");
  const std::string bytes = VersionOneJournal();
  WriteFile(path, bytes);
  const Replayed got = Replay(path);
  EXPECT_TRUE(got.records.empty());
  EXPECT_EQ(got.result.valid_bytes, 0u);
  EXPECT_FALSE(got.result.torn_tail);  // not a torn current journal
  EXPECT_NE(got.result.error.find(path), std::string::npos) << got.result.error;
  EXPECT_NE(got.result.error.find("unsupported journal version 1"),
            std::string::npos)
      << got.result.error;
  EXPECT_NE(got.result.error.find("reads versions 4 to 5"), std::string::npos)
      << got.result.error;
  EXPECT_NE(got.result.error.find("older sortie"), std::string::npos)
      << got.result.error;
  try {
    JournalWriter::OpenForAppend(path);
    ADD_FAILURE() << "appended to a version-1 journal";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("unsupported journal version 1"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(ReadFile(path), bytes);  // left untouched for the old sortie
}

}  // namespace
}  // namespace sortie
