#include "master/journal.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/crc32c.h"
#include "master/journal_format.h"

namespace sortie {
namespace {

namespace fmt = journal_format;
using Type = JournalRecordType;

JournalRecord RunStarted(std::string manifest, std::string sha, uint64_t count,
                         int32_t ranks, double time) {
  JournalRecord r;
  r.type = Type::kRunStarted;
  r.text = std::move(manifest);
  r.sha256 = std::move(sha);
  r.count = count;
  r.rank = ranks;
  r.time = time;
  return r;
}

JournalRecord TaskStarted(uint32_t row, int32_t attempt, int32_t rank,
                          std::string host, double time) {
  JournalRecord r;
  r.type = Type::kTaskStarted;
  r.row = row;
  r.attempt = attempt;
  r.rank = rank;
  r.text = std::move(host);
  r.time = time;
  return r;
}

JournalRecord TaskEnded(uint32_t row, int32_t attempt, TaskState state,
                        int32_t exit_code, int32_t signal, double time) {
  JournalRecord r;
  r.type = Type::kTaskEnded;
  r.row = row;
  r.attempt = attempt;
  r.state = state;
  r.exit_code = exit_code;
  r.signal = signal;
  r.time = time;
  return r;
}

JournalRecord RunFinished(double time, int32_t exit_code) {
  JournalRecord r;
  r.type = Type::kRunFinished;
  r.time = time;
  r.exit_code = exit_code;
  return r;
}

// One of each type, with the awkward values: UTF-8, empty strings, extremes.
std::vector<JournalRecord> SampleRecords() {
  const double kMax = std::numeric_limits<double>::max();
  const double kTiny = std::numeric_limits<double>::denorm_min();
  return {
      RunStarted("/données/manifest ✓ 任务.jsonl", std::string(64, 'a'),
                 1'000'000, 128, 1.7e9 + 0.25),
      RunStarted("", "", std::numeric_limits<uint64_t>::max(),
                 std::numeric_limits<int32_t>::min(), kMax),
      TaskStarted(0, 0, 1, "nœud-01.cluster", 1.7e9),
      TaskStarted(std::numeric_limits<uint32_t>::max(),
                  std::numeric_limits<int32_t>::max(), -1, "", kTiny),
      TaskEnded(7, 2, TaskState::kDone, 0, 0, 1.7e9 + 3.5),
      TaskEnded(8, 1, TaskState::kFailed, -1, 9, -1.5),
      TaskEnded(9, 0, TaskState::kRunning, 255, 0,
                std::numeric_limits<double>::infinity()),
      TaskEnded(10, 0, TaskState::kPending, -2147483647, 64, 0.0),
      RunFinished(1.7e9 + 99.0, 3),
      RunFinished(-0.0, 0),
  };
}

// A long, varied, reproducible stream for ordering tests.
JournalRecord MakeRecord(uint64_t i) {
  const auto row = static_cast<uint32_t>(i);
  const auto t = static_cast<double>(i) * 0.5;
  switch (i % 4) {
    case 0:
      return TaskStarted(row, 0, static_cast<int32_t>(i % 97),
                         "host-" + std::to_string(i % 13), t);
    case 1:
      return TaskEnded(row, 1, TaskState::kDone, 0, 0, t);
    case 2:
      return TaskEnded(row, 2, TaskState::kFailed, 1, 15, t);
    default:
      return RunStarted("m" + std::to_string(i), "", i, 4, t);
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

struct Replayed {
  std::vector<JournalRecord> records;
  ReplayResult result;
};

Replayed Replay(const std::string& path) {
  Replayed r;
  r.result = ReplayJournal(
      path, [&](const JournalRecord& rec) { r.records.push_back(rec); });
  return r;
}

std::string Frames(const std::vector<JournalRecord>& records) {
  std::string bytes;
  for (const auto& r : records) bytes += EncodeJournalRecord(r);
  return bytes;
}

// A frame with a correct CRC around an arbitrary payload.
std::string RawFrame(const std::string& payload) {
  std::string frame(8, '\0');
  fmt::Store(frame.data(), static_cast<uint32_t>(payload.size()));
  fmt::Store(frame.data() + 4,
             fmt::MaskCrc(Crc32c(payload.data(), payload.size())));
  return frame + payload;
}

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* env = std::getenv("SORTIE_TEST_TMP");
    dir_ = std::filesystem::path(env != nullptr ? env : ::testing::TempDir()) /
           ("journal_test." + std::to_string(::getpid()) + "." +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }
  std::string PathFor(const std::string& name) const {
    return (dir_ / name).string();
  }

  std::filesystem::path dir_;
};

// ---- Codec ------------------------------------------------------------------

TEST(JournalCodecTest, EveryRecordTypeRoundTrips) {
  for (const JournalRecord& record : SampleRecords()) {
    const std::string frame = EncodeJournalRecord(record);
    ASSERT_GT(frame.size(), fmt::kFrameHeaderSize);
    EXPECT_EQ(fmt::Load<uint32_t>(frame.data()), frame.size() - 8);
    JournalRecord decoded;
    decoded.text = "stale";  // decoding must reset what the type omits
    decoded.count = 42;
    ASSERT_TRUE(fmt::DecodePayload(std::string_view(frame).substr(8), &decoded))
        << "type " << static_cast<int>(record.type);
    EXPECT_EQ(decoded, record) << "type " << static_cast<int>(record.type);
    EXPECT_EQ(std::bit_cast<uint64_t>(decoded.time),
              std::bit_cast<uint64_t>(record.time));  // e.g. -0.0 stays -0.0
  }
}

TEST(JournalCodecTest, TaskEndedMatchesDocumentedLayout) {
  const JournalRecord record =
      TaskEnded(0x01020304, 2, TaskState::kFailed, -1, 9, 1.0);
  const std::string payload{
      "\x03"                               // type
      "\x04\x03\x02\x01"                   // row
      "\x02\x00\x00\x00"                   // attempt
      "\x03"                               // state
      "\xFF\xFF\xFF\xFF"                   // exit_code
      "\x09\x00\x00\x00"                   // signal
      "\x00\x00\x00\x00\x00\x00\xF0\x3F",  // time (1.0)
      26};
  EXPECT_EQ(EncodeJournalRecord(record), RawFrame(payload));
  // The worked example in docs/journal.md, masked CRC included.
  const std::string golden{
      "\x1a\x00\x00\x00\x7c\x7f\xff\xb3\x03\x07\x00\x00\x00\x01\x00\x00"
      "\x00\x03\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
      "\xf0\x3f",
      34};
  EXPECT_EQ(EncodeJournalRecord(TaskEnded(7, 1, TaskState::kFailed, 2, 0, 1.0)),
            golden);
  EXPECT_EQ(fmt::EncodeHeader(), std::string("SORTIEJ1\x01\x00\x00\x00", 12));
}

TEST(JournalCodecTest, UnusedFieldsAreNotEncoded) {
  JournalRecord noisy = RunFinished(5.0, 1);
  noisy.text = "ignored";
  noisy.sha256 = "ignored";
  noisy.row = 3;
  noisy.count = 4;
  EXPECT_EQ(EncodeJournalRecord(noisy),
            EncodeJournalRecord(RunFinished(5.0, 1)));
}

TEST(JournalCodecTest, EqualityComparesEveryField) {
  const JournalRecord base = SampleRecords()[0];
  std::vector<JournalRecord> changed(11, base);
  changed[0].type = Type::kTaskStarted;
  changed[1].row = 1;
  changed[2].attempt = 1;
  changed[3].rank = 1;
  changed[4].state = TaskState::kDone;
  changed[5].exit_code = 1;
  changed[6].signal = 1;
  changed[7].count = 1;
  changed[8].time = 1.0;
  changed[9].text = "x";
  changed[10].sha256 = "x";
  EXPECT_EQ(base, SampleRecords()[0]);
  for (size_t i = 0; i < changed.size(); ++i) {
    EXPECT_FALSE(changed[i] == base) << "field " << i;
  }
}

TEST(JournalCodecTest, RejectsMalformedPayloads) {
  JournalRecord out;
  for (const JournalRecord& record : SampleRecords()) {
    const std::string payload = EncodeJournalRecord(record).substr(8);
    for (size_t n = 0; n < payload.size(); ++n) {
      EXPECT_FALSE(fmt::DecodePayload(payload.substr(0, n), &out))
          << "type " << static_cast<int>(record.type) << " cut at " << n;
    }
    EXPECT_FALSE(fmt::DecodePayload(payload + '\0', &out)) << "trailing byte";
  }
  for (int type : {0, 5, 255}) {
    std::string payload = EncodeJournalRecord(RunFinished(1, 0)).substr(8);
    payload[0] = static_cast<char>(type);
    EXPECT_FALSE(fmt::DecodePayload(payload, &out)) << "type " << type;
  }
  std::string bad_state =
      EncodeJournalRecord(TaskEnded(1, 0, TaskState::kDone, 0, 0, 1)).substr(8);
  bad_state[9] = 4;  // one past kFailed
  EXPECT_FALSE(fmt::DecodePayload(bad_state, &out));
  // A string length pointing past the end of the payload.
  std::string long_string =
      EncodeJournalRecord(TaskStarted(1, 0, 0, "ab", 1)).substr(8);
  long_string[13] = 100;
  EXPECT_FALSE(fmt::DecodePayload(long_string, &out));
}

TEST(JournalCodecTest, CrcMaskIsInvertibleAndHidesZero) {
  EXPECT_NE(fmt::MaskCrc(0), 0u);
  for (uint32_t crc : {0u, 1u, 0xE3069283u, 0xFFFFFFFFu, 0x80000000u}) {
    EXPECT_EQ(fmt::UnmaskCrc(fmt::MaskCrc(crc)), crc);
    EXPECT_NE(fmt::MaskCrc(crc), crc);
  }
}

TEST(JournalCodecTest, RefusesUnencodableRecords) {
  JournalRecord huge = TaskStarted(1, 0, 0, "", 1);
  huge.text.assign(fmt::kMaxPayloadSize, 'x');
  EXPECT_THROW(EncodeJournalRecord(huge), std::length_error);
  JournalRecord bad_type = RunFinished(1, 0);
  bad_type.type = static_cast<Type>(9);
  std::string out = "keep";
  EXPECT_THROW(fmt::AppendFrame(bad_type, &out), std::invalid_argument);
  EXPECT_EQ(out, "keep");
}

TEST(JournalCodecTest, PathIsOutputPlusSuffix) {
  EXPECT_EQ(JournalPathFor("dir/run.h5"), "dir/run.h5.journal");
  EXPECT_EQ(JournalPathFor("/abs/out"), "/abs/out.journal");
  EXPECT_EQ(JournalPathFor("run.h5"), "run.h5.journal");
}

// ---- Writing and replaying --------------------------------------------------

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

// ---- Torn and corrupt journals ----------------------------------------------

// Header plus `records`, and the offset after each complete prefix.
struct Layout {
  std::string bytes;
  std::vector<uint64_t> ends;  // ends[k]: offset just past k records
};

Layout LayOut(const std::vector<JournalRecord>& records) {
  Layout layout{fmt::EncodeHeader(), {fmt::kHeaderSize}};
  for (const auto& r : records) {
    layout.bytes += EncodeJournalRecord(r);
    layout.ends.push_back(layout.bytes.size());
  }
  return layout;
}

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
       {std::string("\x07", 1), std::string("\x04\x00", 2),
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
  }
}

TEST_F(JournalTest, NonJournalsAreErrorsNotEmptyJournals) {
  const std::string path = PathFor("foreign");
  std::string wrong_version = fmt::EncodeHeader();
  wrong_version[8] = 2;
  const std::vector<std::string> contents = {
      "",  // documented: an empty file is an error, not an empty journal
      "SORTI",
      "not a journal at all, just some text\n",
      std::string("\x89HDF\r\n\x1a\n\0\0\0\0\0\0\0\0", 16),
      wrong_version + EncodeJournalRecord(MakeRecord(0)),
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

// ---- Resume: truncate and append --------------------------------------------

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
  EXPECT_NE(error, "");
  EXPECT_EQ(std::filesystem::file_size(path), size);
  EXPECT_FALSE(TruncateJournal(PathFor("missing"), 100, &error));
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

// ---- Crashes and write errors -----------------------------------------------

// Runs `child` in a forked process, which reports through its exit status.
pid_t Spawn(const std::function<int()>& child) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int status = 1;
    try {
      status = child();
    } catch (...) {
      status = 2;
    }
    ::_exit(status);
  }
  return pid;
}

// Blocks until the child writes its "flushed" byte.
void AwaitSignal(int fd) {
  char byte = 0;
  ASSERT_EQ(::read(fd, &byte, 1), 1);
}

TEST_F(JournalTest, SigkillAfterFlushLosesOnlyUnflushedRecords) {
  const std::string path = PathFor("killed.journal");
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t pid = Spawn([&] {
    JournalWriter writer(path);
    for (uint64_t i = 0; i < 1000; ++i) writer.Append(MakeRecord(i));
    writer.Flush();
    for (uint64_t i = 1000; i < 1010; ++i) writer.Append(MakeRecord(i));
    if (::write(pipe_fds[1], "f", 1) != 1) return 3;
    while (true) ::pause();
  });
  ASSERT_GT(pid, 0);
  ::close(pipe_fds[1]);  // so a child that dies early gives EOF, not a hang
  AwaitSignal(pipe_fds[0]);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  ::close(pipe_fds[0]);

  const Replayed got = Replay(path);
  EXPECT_EQ(got.result.error, "");
  ASSERT_EQ(got.records.size(), 1000u);
  for (uint64_t i = 0; i < 1000; ++i) EXPECT_EQ(got.records[i], MakeRecord(i));
}

TEST_F(JournalTest, SigkillMidStreamKeepsAnOrderedPrefix) {
  const std::string path = PathFor("midstream.journal");
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t pid = Spawn([&] {
    JournalWriter writer(path);
    for (uint64_t i = 0;; ++i) {
      writer.Append(MakeRecord(i));
      if (i % 5000 == 4999) writer.Flush();
      if (i == 4999 && ::write(pipe_fds[1], "f", 1) != 1) return 3;
    }
  });
  ASSERT_GT(pid, 0);
  ::close(pipe_fds[1]);  // so a child that dies early gives EOF, not a hang
  AwaitSignal(pipe_fds[0]);
  ::usleep(20'000);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  ::close(pipe_fds[0]);

  const Replayed got = Replay(path);
  EXPECT_EQ(got.result.error, "");
  ASSERT_GE(got.records.size(), 5000u);
  for (uint64_t i = 0; i < got.records.size(); ++i) {
    ASSERT_EQ(got.records[i], MakeRecord(i)) << "record " << i;
  }
}

TEST_F(JournalTest, WriterRefusesWorkAfterAWriteError) {
  const std::string path = PathFor("efbig.journal");
  const pid_t pid = Spawn([&] {
    // A soft file size limit makes the first 1 MiB write fail with EFBIG;
    // lifting it again shows the writer stays broken on its own.
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{};
    if (::getrlimit(RLIMIT_FSIZE, &limit) != 0) return 3;
    const rlim_t unlimited = limit.rlim_cur;
    limit.rlim_cur = 64 << 10;
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return 3;
    JournalWriter writer(path);
    try {
      for (uint64_t i = 0; i < 1'000'000; ++i) writer.Append(MakeRecord(i));
      return 4;  // never failed
    } catch (const std::runtime_error& e) {
      if (std::string(e.what()).find(path) == std::string::npos) return 5;
    }
    limit.rlim_cur = unlimited;
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return 3;
    try {
      writer.Flush();
      return 6;  // a broken writer must not claim durability
    } catch (const std::runtime_error& e) {
      if (std::string(e.what()).find("unusable") == std::string::npos) {
        return 7;
      }
    }
    return 0;
  });
  ASSERT_GT(pid, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace sortie
