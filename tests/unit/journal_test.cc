#include "master/journal.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/crc32c.h"
#include "master/journal_format.h"
#include "test_dir.h"

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
                          std::string host, double time,
                          uint64_t spec_hash = 0) {
  JournalRecord r;
  r.type = Type::kTaskStarted;
  r.row = row;
  r.attempt = attempt;
  r.rank = rank;
  r.text = std::move(host);
  r.time = time;
  r.count = spec_hash;
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

// The TaskEnded fields version 2 added: who ran it, why, and the output.
JournalRecord Detailed(JournalRecord r, int32_t rank, std::string reason,
                       std::string stdout_tail, std::string stderr_tail) {
  r.rank = rank;
  r.text = std::move(reason);
  r.stdout_tail = std::move(stdout_tail);
  r.stderr_tail = std::move(stderr_tail);
  return r;
}

JournalRecord TaskResults(uint32_t row, int32_t attempt,
                          std::vector<ResultValue> results) {
  JournalRecord r;
  r.type = Type::kTaskResults;
  r.row = row;
  r.attempt = attempt;
  r.results = std::move(results);
  return r;
}

JournalRecord RunFinished(double time, int32_t exit_code) {
  JournalRecord r;
  r.type = Type::kRunFinished;
  r.time = time;
  r.exit_code = exit_code;
  return r;
}

JournalRecord RunResumed(double time, int32_t ranks, std::string sha) {
  JournalRecord r;
  r.type = Type::kRunResumed;
  r.time = time;
  r.rank = ranks;
  r.sha256 = std::move(sha);
  return r;
}

// Output as tasks leave it: a NUL, bytes that are not UTF-8, and a
// three-byte character cut after its second byte (the tail starts mid-file).
std::string AwkwardTail(size_t size) {
  std::string tail = "\xe2\x9c ok\n";
  tail += std::string("nul:\0:", 6) + "bad:\xff\xfe\xc3(:✓\n";
  while (tail.size() < size)
    tail += "line " + std::to_string(tail.size()) + "\n";
  tail.resize(size);
  return tail;
}

// One of each type and state, with the awkward values: UTF-8, bytes that
// are not UTF-8, NULs, empty strings, extremes. The middle record (index 8,
// which the bit-flip test corrupts) is a TaskEnded using every field.
std::vector<JournalRecord> SampleRecords() {
  const double kMax = std::numeric_limits<double>::max();
  const double kTiny = std::numeric_limits<double>::denorm_min();
  const uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();
  const int32_t kMinI32 = std::numeric_limits<int32_t>::min();
  return {
      RunStarted("/données/manifest ✓ 任务.jsonl", std::string(64, 'a'),
                 1'000'000, 128, 1.7e9 + 0.25),
      RunStarted("", "", kMaxU64, kMinI32, kMax),
      TaskStarted(0, 1, 1, "nœud-01.cluster", 1.7e9, 0x0123456789abcdefu),
      TaskStarted(std::numeric_limits<uint32_t>::max(),
                  std::numeric_limits<int32_t>::max(), -1, "", kTiny, kMaxU64),
      Detailed(TaskEnded(7, 2, TaskState::kDone, 0, 0, 1.7e9 + 3.5), 3, "",
               "result: ✓\n", ""),
      TaskEnded(9, 0, TaskState::kRunning, 255, 0,
                std::numeric_limits<double>::infinity()),
      TaskEnded(10, 0, TaskState::kPending, -2147483647, 64, 0.0),
      Detailed(TaskEnded(11, 1, TaskState::kTimeout, -1, 15, 1.7e9 + 60), 4, "",
               "", "Terminated\n"),
      Detailed(TaskEnded(8, 1, TaskState::kFailed, -1, 9, -1.5), 12,
               "exec: /bin/nope: No such file", AwkwardTail(40),
               AwkwardTail(33)),
      Detailed(TaskEnded(12, 0, TaskState::kSkipped, -1, 0, 1.7e9 + 61),
               kMinI32, "after 'prep-ü' which ended FAILED", "", ""),
      Detailed(TaskEnded(13, 3, TaskState::kInterrupted, -1, 15, 1.7e9 + 62),
               1023, "drain: walltime", "partial", std::string("\0", 1)),
      RunFinished(1.7e9 + 99.0, 3),
      RunFinished(-0.0, 0),
      RunResumed(1.7e9 + 120.0, 64, std::string(64, 'b')),
      RunResumed(-kTiny, kMinI32, ""),
      TaskResults(7, 2,
                  {{"time", 0.52, "0.52"},
                   {"label ✓", kNoTime, std::string("a\0b", 3)},
                   {"", -0.0, ""}}),
      TaskResults(0, 0, {}),
  };
}

// What journal.h says `r.type` carries, every other field at its default.
// Spelled out here, not derived from the codec, so the two can disagree.
JournalRecord OnlyCarried(const JournalRecord& r) {
  JournalRecord k;
  k.type = r.type;
  const auto keep = [&](auto JournalRecord::*... fields) {
    ((k.*fields = r.*fields), ...);
  };
  using R = JournalRecord;
  switch (r.type) {
    case Type::kRunStarted:
      keep(&R::text, &R::sha256, &R::count, &R::rank, &R::time);
      break;
    case Type::kTaskStarted:
      keep(&R::row, &R::attempt, &R::rank, &R::text, &R::time, &R::count);
      break;
    case Type::kTaskEnded:
      keep(&R::row, &R::attempt, &R::state, &R::exit_code, &R::signal, &R::time,
           &R::rank, &R::text, &R::stdout_tail, &R::stderr_tail);
      break;
    case Type::kRunFinished:
      keep(&R::time, &R::exit_code);
      break;
    case Type::kRunResumed:
      keep(&R::time, &R::rank, &R::sha256);
      break;
    case Type::kTaskResults:
      keep(&R::row, &R::attempt, &R::results);
      break;
  }
  return k;
}

// A record of `type` with every field away from its default.
JournalRecord Noisy(Type type) {
  JournalRecord r = Detailed(TaskEnded(5, 6, TaskState::kTimeout, 7, 8, 9.5),
                             10, "text", "out", "err");
  r.type = type;
  r.count = 11;
  r.sha256 = "sha";
  r.results = {{"k", 1.5, "1.5"}};
  return r;
}

constexpr Type kAllTypes[] = {Type::kRunStarted, Type::kTaskStarted,
                              Type::kTaskEnded,  Type::kRunFinished,
                              Type::kRunResumed, Type::kTaskResults};

// A long, varied, reproducible stream for ordering tests. Records with tails
// come before ones without, so replay must clear what it reuses.
JournalRecord MakeRecord(uint64_t i) {
  const auto row = static_cast<uint32_t>(i);
  const auto t = static_cast<double>(i) * 0.5;
  const auto rank = static_cast<int32_t>(i % 97);
  switch (i % 6) {
    case 0:
      return TaskStarted(row, 1, rank, "host-" + std::to_string(i % 13), t,
                         i * 0x9E3779B97F4A7C15u);
    case 1:
      return Detailed(TaskEnded(row, 1, TaskState::kDone, 0, 0, t), rank, "",
                      "", "");
    case 2:
      return Detailed(TaskEnded(row, 2, TaskState::kFailed, 1, 15, t), rank, "",
                      "out " + std::to_string(i), AwkwardTail(i % 50));
    case 3:
      return RunStarted("m" + std::to_string(i), "", i, 4, t);
    case 4:
      return Detailed(TaskEnded(row, 0, TaskState::kSkipped, -1, 0, t), -1,
                      "after row " + std::to_string(i - 1), "", "");
    default:
      return RunResumed(t, rank, std::to_string(i));
  }
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
  void SetUp() override { dir_ = FreshTestDir("journal_test"); }
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
    decoded.stdout_tail = "stale";
    decoded.stderr_tail = "stale";
    decoded.results = {{"stale", 1, "1"}};
    ASSERT_TRUE(fmt::DecodePayload(std::string_view(frame).substr(8), &decoded))
        << "type " << static_cast<int>(record.type);
    EXPECT_EQ(decoded, record) << "type " << static_cast<int>(record.type);
    EXPECT_EQ(std::bit_cast<uint64_t>(decoded.time),
              std::bit_cast<uint64_t>(record.time));  // e.g. -0.0 stays -0.0
  }
}

TEST(JournalCodecTest, TaskEndedMatchesDocumentedLayout) {
  const JournalRecord record =
      Detailed(TaskEnded(0x01020304, 2, TaskState::kFailed, -1, 9, 1.0), 5,
               "why", "", std::string("e\0", 2));
  const std::string payload{
      "\x03"                              // type
      "\x04\x03\x02\x01"                  // row
      "\x02\x00\x00\x00"                  // attempt
      "\x03"                              // state
      "\xFF\xFF\xFF\xFF"                  // exit_code
      "\x09\x00\x00\x00"                  // signal
      "\x00\x00\x00\x00\x00\x00\xF0\x3F"  // time (1.0)
      "\x05\x00\x00\x00"                  // rank
      "\x03\x00\x00\x00why"               // text
      "\x00\x00\x00\x00"                  // stdout_tail
      "\x02\x00\x00\x00"                  // stderr_tail, NUL kept
      "e\x00",
      47};
  EXPECT_EQ(EncodeJournalRecord(record), RawFrame(payload));
  // The worked example in docs/journal.md, masked CRC included.
  const std::string golden{
      "\x2e\x00\x00\x00\x42\x47\x96\x17\x03\x07\x00\x00\x00\x01\x00\x00"
      "\x00\x03\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
      "\xf0\x3f\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x00"
      "\x00\x00oops",
      54};
  EXPECT_EQ(
      EncodeJournalRecord(Detailed(
          TaskEnded(7, 1, TaskState::kFailed, 2, 0, 1.0), 3, "", "", "oops")),
      golden);
  EXPECT_EQ(fmt::EncodeHeader(), std::string("SORTIEJ1\x04\x00\x00\x00", 12));
}

TEST(JournalCodecTest, NewTypesAndFieldsMatchDocumentedLayout) {
  const std::string started{
      "\x02"                               // type
      "\x07\x00\x00\x00"                   // row
      "\x01\x00\x00\x00"                   // attempt
      "\x04\x00\x00\x00"                   // rank
      "\x02\x00\x00\x00n1"                 // text (host)
      "\x00\x00\x00\x00\x00\x00\xF0\x3F"   // time (1.0)
      "\x08\x07\x06\x05\x04\x03\x02\x01",  // count (spec hash)
      35};
  EXPECT_EQ(
      EncodeJournalRecord(TaskStarted(7, 1, 4, "n1", 1.0, 0x0102030405060708u)),
      RawFrame(started));
  const std::string resumed{
      "\x05"                              // type
      "\x00\x00\x00\x00\x00\x00\x00\x40"  // time (2.0)
      "\x40\x00\x00\x00"                  // rank (world size 64)
      "\x03\x00\x00\x00"                  // sha256
      "abc",
      20};
  EXPECT_EQ(EncodeJournalRecord(RunResumed(2.0, 64, "abc")), RawFrame(resumed));
  const std::string results{
      "\x06"                              // type
      "\x07\x00\x00\x00"                  // row
      "\x02\x00\x00\x00"                  // attempt
      "\x01\x00\x00\x00"                  // one result
      "\x01\x00\x00\x00t"                 // key
      "\x00\x00\x00\x00\x00\x00\xF8\x3F"  // value (1.5)
      "\x03\x00\x00\x00"
      "1.5",  // text
      33};
  EXPECT_EQ(EncodeJournalRecord(TaskResults(7, 2, {{"t", 1.5, "1.5"}})),
            RawFrame(results));
}

TEST(JournalCodecTest, EachTypeCarriesExactlyItsDocumentedFields) {
  for (const Type type : kAllTypes) {
    SCOPED_TRACE("type " + std::to_string(static_cast<int>(type)));
    const JournalRecord noisy = Noisy(type);
    const JournalRecord carried = OnlyCarried(noisy);
    // Fields a type does not carry are not encoded...
    const std::string frame = EncodeJournalRecord(noisy);
    EXPECT_EQ(frame, EncodeJournalRecord(carried));
    // ...and decode to their defaults, while every carried field (all away
    // from their defaults in `noisy`) survives.
    JournalRecord decoded = Noisy(Type::kTaskEnded);
    ASSERT_TRUE(
        fmt::DecodePayload(std::string_view(frame).substr(8), &decoded));
    EXPECT_EQ(decoded, carried);
    EXPECT_FALSE(decoded == noisy);  // every type leaves something out
  }
}

TEST(JournalCodecTest, TaskEndedFrameWithEmptyTailsIsFiftyBytes) {
  // docs/journal.md sizes journals from this.
  EXPECT_EQ(
      EncodeJournalRecord(TaskEnded(1, 1, TaskState::kDone, 0, 0, 1)).size(),
      50u);
  EXPECT_EQ(EncodeJournalRecord(TaskStarted(1, 1, 1, "", 1)).size(), 41u);
}

TEST(JournalCodecTest, EqualityComparesEveryField) {
  const JournalRecord base = SampleRecords()[0];
  std::vector<JournalRecord> changed(14, base);
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
  changed[11].stdout_tail = "x";
  changed[12].stderr_tail = "x";
  changed[13].results = {{"x", 1, "1"}};
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
  for (int type : {0, 7, 255}) {
    std::string payload = EncodeJournalRecord(RunFinished(1, 0)).substr(8);
    payload[0] = static_cast<char>(type);
    EXPECT_FALSE(fmt::DecodePayload(payload, &out)) << "type " << type;
  }
  // A string length pointing past the end of the payload.
  std::string long_string =
      EncodeJournalRecord(TaskStarted(1, 0, 0, "ab", 1)).substr(8);
  long_string[13] = 100;
  EXPECT_FALSE(fmt::DecodePayload(long_string, &out));
  // The same for the last string of a TaskEnded: a tail claiming one more
  // byte than there is.
  std::string long_tail =
      EncodeJournalRecord(Detailed(TaskEnded(1, 0, TaskState::kDone, 0, 0, 1),
                                   0, "", "", "abc"))
          .substr(8);
  long_tail[long_tail.size() - 7] = 4;
  EXPECT_FALSE(fmt::DecodePayload(long_tail, &out));
  // A result count far past what the payload holds is refused before any
  // allocation.
  std::string many =
      EncodeJournalRecord(TaskResults(1, 1, {{"k", 1, "1"}})).substr(8);
  fmt::Store(many.data() + 9, uint32_t{0xFFFFFFFF});
  EXPECT_FALSE(fmt::DecodePayload(many, &out));
}

TEST(JournalCodecTest, StatesUpToInterruptedDecodeAndLaterOnesDoNot) {
  const std::string payload =
      EncodeJournalRecord(TaskEnded(1, 0, TaskState::kDone, 0, 0, 1)).substr(8);
  constexpr size_t kStateByte = 9;  // type, row, attempt
  ASSERT_EQ(payload[kStateByte], static_cast<char>(TaskState::kDone));
  for (int state = 0; state < 256; ++state) {
    std::string changed = payload;
    changed[kStateByte] = static_cast<char>(state);
    JournalRecord out;
    const bool decoded = fmt::DecodePayload(changed, &out);
    EXPECT_EQ(decoded, state < static_cast<int>(kTaskStateCount))
        << "state " << state;
    if (decoded) {
      EXPECT_EQ(static_cast<int>(out.state), state);
    }
  }
  EXPECT_EQ(static_cast<size_t>(fmt::kLastState) + 1, kTaskStateCount);
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
  EXPECT_NE(got.result.error.find("reads only version 4"), std::string::npos)
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

// ---- Speed ------------------------------------------------------------------

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
      // The write fails on the writing thread; an Append after that, or at
      // the latest the Flush, reports it.
      for (uint64_t i = 0; i < 1'000'000; ++i) writer.Append(MakeRecord(i));
      writer.Flush();
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
