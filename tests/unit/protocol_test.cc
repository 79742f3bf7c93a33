#include "common/protocol.h"

#include <gtest/gtest.h>

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <cmath>
#include <sstream>

#include "common/flat_archive.h"

namespace sortie {
namespace {

TaskSpec SampleSpec() {
  TaskSpec spec;
  spec.id = "タスク-1 naïve";
  spec.command = {"/bin/echo", "a b", ""};
  spec.mutable_extras().cwd = "/tmp/x";
  spec.mutable_extras().env = {{"A", "1"}, {"B", "two words"}};
  spec.mutable_extras().stdout_path = "/o";
  spec.mutable_extras().stderr_path = "/e";
  spec.tags_json = R"({"n":4})";
  spec.line = 17;
  spec.nodes = 2;
  spec.ranks_per_node = 3;
  spec.cores_per_rank = 4;
  spec.gpus_per_rank = 1;
  spec.priority = -5;
  spec.est_runtime = 12.5;
  spec.mutable_extras().launcher_args = {"--x"};
  spec.timeout = 7.5;
  spec.retries = 2;
  spec.after = {1, 5};
  spec.mutable_extras().result_path = "/logs/a.result";
  spec.mutable_extras().result_patterns = {{"time", "elapsed: ([0-9.]+) s"}};
  return spec;
}

TEST(ProtocolTest, HelloRoundTrips) {
  HelloMsg hello{kProtocolVersion, 3, "nid00042", 12345, {0, 1}, {}};
  HelloMsg back = Decode<HelloMsg>(Encode(hello));
  EXPECT_EQ(back.protocol_version, kProtocolVersion);
  EXPECT_EQ(back.rank, 3);
  EXPECT_EQ(back.host, "nid00042");
  EXPECT_EQ(back.pid, 12345);
}

TEST(ProtocolTest, AssignCarriesWholeSpecs) {
  AssignMsg msg;
  msg.tasks.push_back(Assignment{7, 2, SampleSpec(), {}, 0});
  TaskSpec shell;
  shell.id = "s";
  shell.shell = true;
  shell.command = {"echo $HOME | wc -c"};
  msg.tasks.push_back(Assignment{8, 1, shell, {}, 0});
  AssignMsg back = Decode<AssignMsg>(Encode(msg));
  ASSERT_EQ(back.tasks.size(), 2u);
  const TaskSpec& spec = back.tasks[0].spec;
  EXPECT_EQ(back.tasks[0].row, 7u);
  EXPECT_EQ(back.tasks[0].attempt, 2);
  EXPECT_EQ(spec.id, SampleSpec().id);
  EXPECT_EQ(spec.command, SampleSpec().command);
  EXPECT_FALSE(spec.shell);
  EXPECT_EQ(spec.extras().cwd, "/tmp/x");
  EXPECT_EQ(spec.extras().env, SampleSpec().extras().env);
  EXPECT_EQ(spec.extras().stdout_path, "/o");
  EXPECT_EQ(spec.extras().stderr_path, "/e");
  EXPECT_EQ(spec.tags_json, R"({"n":4})");
  EXPECT_EQ(spec.line, 17u);
  EXPECT_EQ(spec.TotalRanks(), 6);
  EXPECT_EQ(spec.cores_per_rank, 4);
  EXPECT_EQ(spec.gpus_per_rank, 1);
  EXPECT_EQ(spec.priority, -5);
  EXPECT_DOUBLE_EQ(spec.est_runtime, 12.5);
  EXPECT_EQ(spec.extras().launcher_args, std::vector<std::string>{"--x"});
  EXPECT_DOUBLE_EQ(spec.timeout, 7.5);
  EXPECT_EQ(spec.retries, 2);
  EXPECT_EQ(spec.after, (std::vector<uint32_t>{1, 5}));
  EXPECT_EQ(spec.extras().result_path, "/logs/a.result");
  EXPECT_EQ(spec.extras().result_patterns,
            SampleSpec().extras().result_patterns);
  EXPECT_TRUE(back.tasks[1].spec.shell);
  EXPECT_EQ(back.tasks[1].spec.command[0], "echo $HOME | wc -c");
  // A spec without extras is decoded without a heap block for them.
  EXPECT_EQ(back.tasks[1].spec.extras_box.get(), nullptr);
  EXPECT_NE(back.tasks[0].spec.extras_box.get(), nullptr);
}

TEST(ProtocolTest, ResultsKeepSignalsAndTimes) {
  FinishedMsg msg;
  TaskResult r;
  r.row = 4000000000u;
  r.attempt = 3;
  r.exit_code = -1;
  r.signal = 11;
  r.start_time = 1.7e9 + 0.125;
  r.end_time = kNoTime;
  r.cause = EndCause::kTimedOut;
  r.stdout_tail = std::string("a\0b", 3);
  r.stderr_tail = "oops\n";
  r.results = {{"time", 0.5, "0.5"}, {"label", kNoTime, "big ✓"}};
  r.reason = "working directory /nowhere does not exist";
  msg.results = {r};
  FinishedMsg back = Decode<FinishedMsg>(Encode(msg));
  ASSERT_EQ(back.results.size(), 1u);
  EXPECT_EQ(back.results[0].row, 4000000000u);
  EXPECT_EQ(back.results[0].signal, 11);
  EXPECT_EQ(back.results[0].cause, EndCause::kTimedOut);
  EXPECT_EQ(back.results[0].stdout_tail, std::string("a\0b", 3));
  EXPECT_EQ(back.results[0].stderr_tail, "oops\n");
  EXPECT_EQ(back.results[0].exit_code, -1);
  EXPECT_DOUBLE_EQ(back.results[0].start_time, 1.7e9 + 0.125);
  EXPECT_TRUE(std::isnan(back.results[0].end_time));
  EXPECT_EQ(back.results[0].FinalState(), TaskState::kTimeout);
  EXPECT_EQ(back.results[0].results, r.results);  // NaN == NaN here
  EXPECT_EQ(back.results[0].reason, r.reason);
}

// The master decodes every report into the same message: what the previous
// one held (more results, longer tails, more values) must not show through.
TEST(ProtocolTest, DecodeIntoLeavesNothingOfThePreviousMessage) {
  FinishedMsg big;
  for (uint32_t row = 0; row < 5; ++row) {
    TaskResult r;
    r.row = row;
    r.exit_code = 3;
    r.signal = 9;
    r.cause = EndCause::kTimedOut;
    r.stdout_tail = std::string(100, 'o');
    r.stderr_tail = std::string(50, 'e');
    r.results = {{"a", 1.0, "1"}, {"b", 2.0, "2"}};
    r.reason = "cannot run /no/such/program";
    big.results.push_back(r);
  }
  TaskResult small;
  small.row = 7;
  small.exit_code = 0;
  small.stdout_tail = "x";
  small.start_time = 2.5;
  small.end_time = 3.5;
  FinishedMsg reused;
  DecodeInto(Encode(big), &reused);
  ASSERT_EQ(reused.results.size(), 5u);
  DecodeInto(Encode(FinishedMsg{{small, small}}), &reused);
  const FinishedMsg fresh =
      Decode<FinishedMsg>(Encode(FinishedMsg{{small, small}}));
  ASSERT_EQ(reused.results.size(), 2u);
  for (const TaskResult& r : reused.results) {
    EXPECT_EQ(r.row, 7u);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.signal, 0);
    EXPECT_EQ(r.cause, EndCause::kExited);
    EXPECT_EQ(r.stdout_tail, "x");
    EXPECT_EQ(r.stderr_tail, "");
    EXPECT_TRUE(r.results.empty());
    EXPECT_EQ(r.reason, "");
    EXPECT_DOUBLE_EQ(r.end_time, 3.5);
    EXPECT_EQ(r.FinalState(), fresh.results[0].FinalState());
  }
  EXPECT_THROW(DecodeInto(std::string("\x05garbage"), &reused), ProtocolError);
}

TEST(ProtocolTest, StartedAndShutdownRoundTrip) {
  StartedMsg started{{StartNotice{1, 1, 2.5}, StartNotice{2, 1, 3.5}}};
  StartedMsg s = Decode<StartedMsg>(Encode(started));
  ASSERT_EQ(s.tasks.size(), 2u);
  EXPECT_EQ(s.tasks[1].row, 2u);
  EXPECT_DOUBLE_EQ(s.tasks[1].start_time, 3.5);
  ShutdownMsg shutdown = Decode<ShutdownMsg>(Encode(ShutdownMsg{2, "why"}));
  EXPECT_EQ(shutdown.exit_code, 2);
  EXPECT_EQ(shutdown.reason, "why");
}

TEST(ProtocolTest, GarbageIsAProtocolErrorNotACrash) {
  EXPECT_THROW(
      Decode<AssignMsg>(std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8)),
      ProtocolError);
  EXPECT_THROW(Decode<HelloMsg>(""), ProtocolError);
  std::string truncated =
      Encode(AssignMsg{{Assignment{1, 1, SampleSpec(), {}, 0}}});
  truncated.resize(truncated.size() / 2);
  EXPECT_THROW(Decode<AssignMsg>(truncated), ProtocolError);
}

// The wire layout is Boost's binary archive (no header) walked by
// FlatArchive: the reference the protocol's own writer and reader follow.
constexpr unsigned kBoostFlags =
    boost::archive::no_header | boost::archive::no_codecvt;

template <class Msg>
std::string BoostEncode(const Msg& msg) {
  std::ostringstream out;
  boost::archive::binary_oarchive archive(out, kBoostFlags);
  FlatArchive<boost::archive::binary_oarchive> flat(archive, 0);
  flat& const_cast<Msg&>(msg);
  return out.str();
}

template <class Msg>
Msg BoostDecode(const std::string& bytes) {
  std::istringstream in(bytes);
  boost::archive::binary_iarchive archive(in, kBoostFlags);
  FlatArchive<boost::archive::binary_iarchive> flat(archive, bytes.size());
  Msg msg;
  flat& msg;
  return msg;
}

FinishedMsg SampleFinished() {
  TaskResult r;
  r.row = 9;
  r.attempt = 2;
  r.exit_code = 3;
  r.signal = 0;
  r.start_time = 1.5;
  r.end_time = 2.5;
  r.cause = EndCause::kTimedOut;
  r.stdout_tail = std::string("a\0b", 3);
  r.results = {{"time", 0.5, "0.5"}};
  r.reason = "cannot load /lib/x.so";
  return FinishedMsg{{r, TaskResult{}}};
}

TEST(ProtocolTest, BytesAreBoostsBinaryArchive) {
  AssignMsg assign;
  TaskGroup group{{1, 2}, {"a", "b"}, {{0, 1}, {2}}, {{}, {0}}};
  assign.tasks.push_back(Assignment{7, 2, SampleSpec(), group, 1, 5});
  assign.tasks.push_back(Assignment{8, 1, TaskSpec{}, {}, 0, -1});
  EXPECT_EQ(Encode(assign), BoostEncode(assign));
  HelloMsg hello{kProtocolVersion, 3, "nid00042", 12345, {0, 1}, {4}};
  EXPECT_EQ(Encode(hello), BoostEncode(hello));
  EXPECT_EQ(Encode(SampleFinished()), BoostEncode(SampleFinished()));
  StartedMsg started{{StartNotice{1, 1, 2.5}}};
  EXPECT_EQ(Encode(started), BoostEncode(started));
  ShutdownMsg shutdown{2, "why"};
  EXPECT_EQ(Encode(shutdown), BoostEncode(shutdown));
}

TEST(ProtocolTest, BoostReadsWhatWeWriteAndWeReadWhatBoostWrites) {
  const AssignMsg assign{{Assignment{7, 2, SampleSpec(), {}, 0, 3}}};
  const AssignMsg by_boost = BoostDecode<AssignMsg>(Encode(assign));
  ASSERT_EQ(by_boost.tasks.size(), 1u);
  EXPECT_EQ(by_boost.tasks[0].follows, 3);
  EXPECT_EQ(by_boost.tasks[0].spec.extras().env, SampleSpec().extras().env);
  const FinishedMsg ours = Decode<FinishedMsg>(BoostEncode(SampleFinished()));
  ASSERT_EQ(ours.results.size(), 2u);
  EXPECT_EQ(ours.results[0].stdout_tail, std::string("a\0b", 3));
  EXPECT_EQ(ours.results[0].cause, EndCause::kTimedOut);
  EXPECT_EQ(ours.results[0].results, SampleFinished().results[0].results);
  EXPECT_EQ(ours.results[0].reason, "cannot load /lib/x.so");
}

TEST(ProtocolTest, AssignEncoderGivesEncodesBytes) {
  const TaskGroup group{{3}, {"h"}, {{0, 1}}, {{}}};
  AssignMsg msg;
  msg.tasks.push_back(Assignment{7, 2, SampleSpec(), group, 0, -1});
  msg.tasks.push_back(Assignment{8, 1, TaskSpec{}, group, 1, 7});
  AssignEncoder encoder;
  encoder.Add(msg.tasks[0]);
  encoder.Add(8, 1, TaskSpec{}, group, 1, 7);
  EXPECT_EQ(encoder.count(), 2u);
  EXPECT_EQ(encoder.Take(), Encode(msg));
  // Empty again, and reusable for the next round.
  EXPECT_EQ(encoder.count(), 0u);
  EXPECT_EQ(encoder.Take(), Encode(AssignMsg{}));
  for (int i = 0; i < 1000; ++i) encoder.Add(msg.tasks[1]);
  const AssignMsg back = Decode<AssignMsg>(encoder.Take());
  ASSERT_EQ(back.tasks.size(), 1000u);
  EXPECT_EQ(back.tasks[999].follows, 7);
  EXPECT_EQ(back.tasks[999].group.cpus, group.cpus);
}

// The worker reads batches into one reused Assignment: nothing of a task
// may stay behind in the next one (extras, vectors, group).
TEST(ProtocolTest, AssignDecoderReadsWhatDecodeReadsOneAtATime) {
  const TaskGroup group{{1, 2}, {"a", "b"}, {{0, 1}, {2}}, {{}, {0}}};
  TaskSpec plain;
  plain.id = "p";
  plain.function = "sortie:noop";
  AssignMsg msg;
  msg.tasks.push_back(Assignment{7, 2, SampleSpec(), group, 1, 5});
  msg.tasks.push_back(Assignment{8, 1, plain, {}, 0, -1});
  msg.tasks.push_back(Assignment{9, 3, SampleSpec(), group, 0, 8});
  const std::string bytes = Encode(msg);
  AssignDecoder decoder(bytes);
  Assignment out;
  for (const Assignment& want : msg.tasks) {
    ASSERT_TRUE(decoder.Next(&out));
    EXPECT_EQ(out.row, want.row);
    EXPECT_EQ(out.attempt, want.attempt);
    EXPECT_EQ(out.member, want.member);
    EXPECT_EQ(out.follows, want.follows);
    EXPECT_EQ(out.group.ranks, want.group.ranks);
    EXPECT_EQ(out.group.cpus, want.group.cpus);
    EXPECT_EQ(out.group.gpus, want.group.gpus);
    // Every field of the spec, extras included, through the wire layout.
    EXPECT_EQ(Encode(AssignMsg{{out}}), Encode(AssignMsg{{want}}));
    EXPECT_EQ(out.spec.extras_box.get() == nullptr, want.spec.extras().empty());
  }
  EXPECT_FALSE(decoder.Next(&out));
  EXPECT_EQ(out.row, 9u);
}

TEST(ProtocolTest, AssignDecoderRefusesGarbage) {
  EXPECT_THROW(
      AssignDecoder(std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8)),
      ProtocolError);
  EXPECT_THROW(AssignDecoder(std::string("\x01", 1)), ProtocolError);
  const std::string bytes =
      Encode(AssignMsg{{Assignment{1, 1, SampleSpec(), {}, 0}}});
  for (size_t size = sizeof(uint64_t); size < bytes.size(); ++size) {
    const std::string cut = bytes.substr(0, size);
    AssignDecoder decoder(cut);
    Assignment out;
    EXPECT_THROW(decoder.Next(&out), ProtocolError) << size;
  }
}

TEST(ProtocolTest, EveryTruncationIsAProtocolError) {
  const std::string bytes =
      Encode(AssignMsg{{Assignment{1, 1, SampleSpec(), {}, 0}}});
  for (size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_THROW(Decode<AssignMsg>(bytes.substr(0, size)), ProtocolError)
        << "cut at " << size;
  }
}

TEST(ProtocolTest, TagNamesAreReadable) {
  EXPECT_EQ(TagName(static_cast<int>(MessageTag::kFinished)), "Finished");
  EXPECT_EQ(TagName(99), "tag 99");
}

}  // namespace
}  // namespace sortie
