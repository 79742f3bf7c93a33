// The journal's record format: each record type's fields and byte layout,
// framing and the masked CRC, and the payloads the decoder must refuse.

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "journal_fixtures.h"
#include "master/journal.h"
#include "master/journal_format.h"

namespace sortie {
namespace {

namespace fmt = journal_format;
using Type = JournalRecordType;

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
    case Type::kAllocationNodes:
      keep(&R::nodes);
      break;
    case Type::kTaskNodes:
      keep(&R::row, &R::attempt, &R::ranks);
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
  r.ranks = {12, 13};
  r.nodes = {{14, "n14", 15, 16}};
  return r;
}

constexpr Type kAllTypes[] = {Type::kRunStarted, Type::kTaskStarted,
                              Type::kTaskEnded,  Type::kRunFinished,
                              Type::kRunResumed, Type::kTaskResults,
                              Type::kTaskNodes,  Type::kAllocationNodes};

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
  EXPECT_EQ(fmt::EncodeHeader(), std::string("SORTIEJ1\x05\x00\x00\x00", 12));
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

// docs/journal.md's worked sizes and the layouts of the two node records.
TEST(JournalCodecTest, NodeRecordsMatchDocumentedLayout) {
  const std::string nodes{
      "\x07"                 // type
      "\x02\x00\x00\x00"     // two nodes
      "\x00\x00\x00\x00"     // rank 0
      "\x02\x00\x00\x00n0"   // host
      "\x40\x00\x00\x00"     // cores 64
      "\x04\x00\x00\x00"     // gpus 4
      "\x05\x00\x00\x00"     // rank 5
      "\x03\x00\x00\x00n05"  // host
      "\x08\x00\x00\x00"     // cores 8
      "\x00\x00\x00\x00",    // gpus 0
      42};
  const JournalRecord allocation =
      AllocationNodes({{0, "n0", 64, 4}, {5, "n05", 8, 0}});
  EXPECT_EQ(EncodeJournalRecord(allocation), RawFrame(nodes));
  // The allocation a node belongs to is not journaled: it follows from
  // the order of the run records.
  JournalRecord placed = allocation;
  placed.nodes[1].allocation = 3;
  EXPECT_EQ(EncodeJournalRecord(placed), RawFrame(nodes));
  const std::string task_nodes{
      "\x08"              // type
      "\x07\x00\x00\x00"  // row
      "\x02\x00\x00\x00"  // attempt
      "\x03\x00\x00\x00"  // three ranks
      "\x04\x00\x00\x00"  // leader's
      "\x01\x00\x00\x00"
      "\xff\xff\xff\xff",  // -1
      25};
  EXPECT_EQ(EncodeJournalRecord(TaskNodes(7, 2, {4, 1, -1})),
            RawFrame(task_nodes));
  // The worked example in docs/journal.md, masked CRC included: a
  // two-node task's record.
  const std::string golden{
      "\x15\x00\x00\x00\x31\x53\x8e\x25\x08\x07\x00\x00\x00\x01\x00\x00"
      "\x00\x02\x00\x00\x00\x03\x00\x00\x00\x01\x00\x00\x00",
      29};
  EXPECT_EQ(EncodeJournalRecord(TaskNodes(7, 1, {3, 1})), golden);
  // Sizes: 13 bytes and 4 a rank for task nodes, 5 and 16 a node plus its
  // host for an allocation, 8 more for each frame's header.
  EXPECT_EQ(EncodeJournalRecord(TaskNodes(1, 1, {1, 2})).size(), 8u + 13 + 8);
  EXPECT_EQ(
      EncodeJournalRecord(AllocationNodes({{1, "node-0001", 64, 0}})).size(),
      8u + 5 + 16 + 9);
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
  std::vector<JournalRecord> changed(16, base);
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
  changed[14].ranks = {1};
  changed[15].nodes = {{}};
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
  for (int type : {0, 9, 255}) {
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
  // Node and rank counts past the payload, likewise.
  std::string many_nodes = EncodeJournalRecord(AllocationNodes({})).substr(8);
  fmt::Store(many_nodes.data() + 1, uint32_t{1});
  EXPECT_FALSE(fmt::DecodePayload(many_nodes + std::string(15, 'x'), &out));
  std::string many_ranks = EncodeJournalRecord(TaskNodes(1, 1, {2})).substr(8);
  fmt::Store(many_ranks.data() + 9, uint32_t{2});
  EXPECT_FALSE(fmt::DecodePayload(many_ranks + std::string(3, 'x'), &out));
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
  bad_type.type = static_cast<Type>(9);  // the first unknown type
  std::string out = "keep";
  EXPECT_THROW(fmt::AppendFrame(bad_type, &out), std::invalid_argument);
  EXPECT_EQ(out, "keep");
}

TEST(JournalCodecTest, PathIsOutputPlusSuffix) {
  EXPECT_EQ(JournalPathFor("dir/run.h5"), "dir/run.h5.journal");
  EXPECT_EQ(JournalPathFor("/abs/out"), "/abs/out.journal");
  EXPECT_EQ(JournalPathFor("run.h5"), "run.h5.journal");
}

}  // namespace
}  // namespace sortie
