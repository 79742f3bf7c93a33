#include "common/task.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/spec_digest.h"

namespace sortie {
namespace {

TEST(TaskTest, StateNamesFitTheFixedWidthColumn) {
  for (TaskState s : {TaskState::kPending, TaskState::kRunning,
                      TaskState::kDone, TaskState::kFailed}) {
    EXPECT_LE(StateName(s).size(), static_cast<size_t>(kStateNameWidth));
  }
  EXPECT_EQ(StateName(TaskState::kDone), "DONE");
  EXPECT_EQ(StateName(TaskState::kFailed), "FAILED");
}

TEST(TaskTest, CommandTextShowsShellStringOrJsonArray) {
  TaskSpec shell;
  shell.shell = true;
  shell.command = {"echo \"hi\" | wc"};
  EXPECT_EQ(CommandText(shell), "echo \"hi\" | wc");
  TaskSpec argv;
  argv.command = {"/bin/echo", "a \"b\"", "tab\there", "é"};
  EXPECT_EQ(CommandText(argv), R"(["/bin/echo", "a \"b\"", "tab\there", "é"])");
}

TEST(TaskTest, ExtrasAreOutOfLineOnlyWhenSetAndCopiedDeep) {
  TaskSpec plain;
  EXPECT_EQ(plain.extras_box.get(), nullptr);
  EXPECT_TRUE(plain.extras().cwd.empty());
  EXPECT_EQ(plain.extras_box.get(), nullptr);  // reading makes nothing

  TaskSpec with = plain;
  with.mutable_extras().cwd = "/work";
  TaskSpec copy = with;
  copy.mutable_extras().cwd = "/elsewhere";
  EXPECT_EQ(with.extras().cwd, "/work");
  EXPECT_EQ(copy.extras().cwd, "/elsewhere");

  copy.mutable_extras().cwd.clear();
  copy.CompactExtras();
  EXPECT_EQ(copy.extras_box.get(), nullptr);
  with.CompactExtras();
  EXPECT_NE(with.extras_box.get(), nullptr);
}

TEST(TaskTest, LogFileStemKeepsSafeIdsAndMarksChangedOnesWithTheRow) {
  EXPECT_EQ(LogFileStem("sim-1", 7), "sim-1");
  EXPECT_EQ(LogFileStem("a/b", 0), "a_b.0");
  EXPECT_EQ(LogFileStem("a\tb", 3), "a_b.3");
  EXPECT_EQ(LogFileStem(".hidden", 2), "_.hidden.2");
  EXPECT_EQ(LogFileStem(std::string(200, 'x'), 1), std::string(200, 'x'));
  EXPECT_EQ(LogFileStem(std::string(201, 'x'), 1),
            std::string(200, 'x') + ".1");
  for (const std::string& id :
       std::vector<std::string>{"sim-1", "a/b", ".x", std::string(201, 'x')}) {
    EXPECT_EQ(IdIsItsFileStem(id), LogFileStem(id, 5) == id) << id;
  }
}

TEST(TaskTest, LogFileStemCutsALongIdAtACharacterBoundary) {
  // 67 three-byte characters: 201 bytes, and byte 200 is inside the last.
  std::string id;
  for (int i = 0; i < 67; ++i) id += "\xe3\x82\xbf";  // U+30BF
  const std::string stem = LogFileStem(id, 0);
  EXPECT_EQ(stem, id.substr(0, 198) + ".0");
  // Two-byte characters: a cut at 200 falls between two of them.
  std::string two;
  for (int i = 0; i < 101; ++i) two += "\xc3\xa9";  // U+00E9
  EXPECT_EQ(LogFileStem(two, 4), two.substr(0, 200) + ".4");
}

TEST(TaskTest, ResultStateIsDoneOnlyForCleanExitZero) {
  TaskResult r;
  r.exit_code = 0;
  EXPECT_EQ(r.FinalState(), TaskState::kDone);
  r.exit_code = 1;
  EXPECT_EQ(r.FinalState(), TaskState::kFailed);
  r.exit_code = -1;
  r.signal = 9;
  EXPECT_EQ(r.FinalState(), TaskState::kFailed);
}

TEST(BackoffTest, LingersAtTheShortestWaitAfterEachReset) {
  Backoff backoff(1e-5, 4e-5, 2);
  EXPECT_DOUBLE_EQ(backoff.Next(), 1e-5);
  EXPECT_DOUBLE_EQ(backoff.Next(), 1e-5);
  EXPECT_DOUBLE_EQ(backoff.Next(), 1e-5);  // then the doubling starts
  EXPECT_DOUBLE_EQ(backoff.Next(), 2e-5);
  backoff.Reset();
  EXPECT_DOUBLE_EQ(backoff.Next(), 1e-5);
  EXPECT_DOUBLE_EQ(backoff.Next(), 1e-5);
  EXPECT_DOUBLE_EQ(backoff.Next(), 1e-5);
  EXPECT_DOUBLE_EQ(backoff.Next(), 2e-5);
}

TEST(BackoffTest, DoublesUpToTheCapAndResets) {
  Backoff backoff(1e-5, 4e-5);
  EXPECT_DOUBLE_EQ(backoff.Next(), 1e-5);
  EXPECT_DOUBLE_EQ(backoff.Next(), 2e-5);
  EXPECT_DOUBLE_EQ(backoff.Next(), 4e-5);
  EXPECT_DOUBLE_EQ(backoff.Next(), 4e-5);
  backoff.Reset();
  EXPECT_DOUBLE_EQ(backoff.Next(), 1e-5);
}

// Time advances only by SleepFor.
class SleepCountingClock : public Clock {
 public:
  double Now() const override { return slept; }
  double Monotonic() const override { return slept; }
  void SleepFor(double seconds) override {
    slept += seconds;
    ++sleeps;
  }
  double slept = 0;
  int sleeps = 0;
};

TEST(PollUntilTest, SleepsWithBackoffUntilDone) {
  SleepCountingClock clock;
  int polls = 0;
  PollUntil(clock, [&] { return ++polls == 4; });
  EXPECT_EQ(polls, 4);
  EXPECT_EQ(clock.sleeps, 3);
  EXPECT_DOUBLE_EQ(clock.slept, 20e-6 + 40e-6 + 80e-6);
}

// A collective completes round by round, each waiting for the slowest
// rank's next poll: the waits stop growing at half a millisecond.
TEST(PollUntilTest, WaitsAtMostHalfAMillisecondBetweenPolls) {
  SleepCountingClock clock;
  int polls = 0;
  PollUntil(clock, [&] { return ++polls == 20; });
  EXPECT_EQ(clock.sleeps, 19);
  EXPECT_DOUBLE_EQ(clock.slept, (20 + 40 + 80 + 160 + 320) * 1e-6 + 14 * 5e-4);
}

TEST(PollUntilTest, DoesNotSleepWhenAlreadyDone) {
  SleepCountingClock clock;
  PollUntil(clock, [] { return true; });
  EXPECT_EQ(clock.sleeps, 0);
}

TEST(SystemClockTest, SleepsAboutAsLongAsAsked) {
  SystemClock clock;
  double start = clock.Monotonic();
  clock.SleepFor(0.02);
  double slept = clock.Monotonic() - start;
  EXPECT_GE(slept, 0.019);
  EXPECT_LT(slept, 0.5);
  EXPECT_GT(clock.Now(), 1.6e9);
}

}  // namespace
}  // namespace sortie

namespace sortie {
namespace {

TaskSpec DigestSpec() {
  TaskSpec spec;
  spec.id = "a";
  spec.command = {"/bin/echo", "hi"};
  spec.mutable_extras().env = {{"X", "1"}};
  spec.line = 7;
  return spec;
}

TEST(SpecDigestTest, LineDoesNotCountButEveryOtherFieldDoes) {
  const TaskSpec spec = DigestSpec();
  TaskSpec moved = spec;
  moved.line = 99;
  EXPECT_EQ(SpecDigest(spec), SpecDigest(moved));
  TaskSpec edited = spec;
  edited.command[1] = "ho";
  EXPECT_NE(SpecDigest(spec), SpecDigest(edited));
  TaskSpec more_cores = spec;
  more_cores.cores_per_rank = 2;
  EXPECT_NE(SpecDigest(spec), SpecDigest(more_cores));
  // Length-prefixed: moving a character between fields is a change.
  TaskSpec shifted = spec;
  shifted.command = {"/bin/echoh", "i"};
  EXPECT_NE(SpecDigest(spec), SpecDigest(shifted));
}

// Journals keep these digests, and a resume compares them with the
// manifest's: a change of representation (CompactText, the writer the
// digest shares with FlatWriter) must not change them. The values were
// printed by the build before either (57bdeb1).
TEST(SpecDigestTest, DigestsOfEarlierBuildsStillMatch) {
  TaskSpec mpi;
  mpi.id = "sim-7";
  mpi.command = {"./sim", "--n", "64"};
  mpi.tags_json = R"({"n":64})";
  mpi.line = 12;
  mpi.nodes = 2;
  mpi.ranks_per_node = 4;
  mpi.cores_per_rank = 2;
  mpi.gpus_per_rank = 1;
  mpi.priority = 3;
  mpi.retries = 1;
  mpi.est_runtime = 90.5;
  mpi.timeout = 600;
  mpi.after = {1, 4};
  mpi.mutable_extras().cwd = "/scratch/run";
  mpi.mutable_extras().env = {{"OMP_NUM_THREADS", "2"}};
  TaskSpec function;
  function.id = "2";
  function.function = "sortie:noop";
  function.args_json = R"({"seconds":1})";
  EXPECT_EQ(SpecDigest(mpi), 0xb7479980e26bb1acull);
  EXPECT_EQ(SpecDigest(function), 0x741b70fa4d714f77ull);
  EXPECT_EQ(SpecDigest(TaskSpec{}), 0x114a720e95da2fe8ull);
}

TEST(SpecDigestTest, EveryBitAndTheLengthOfTheBytesCount) {
  std::string bytes(77, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i);
  const uint64_t digest = DigestBytes(bytes.data(), bytes.size());
  for (size_t bit = 0; bit < 8 * bytes.size(); ++bit) {
    std::string flipped = bytes;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    ASSERT_NE(DigestBytes(flipped.data(), flipped.size()), digest) << bit;
  }
  // Trailing zero bytes are not invisible.
  const std::string zeros(9, '\0');
  EXPECT_NE(DigestBytes(zeros.data(), 8), DigestBytes(zeros.data(), 9));
  EXPECT_NE(DigestBytes(zeros.data(), 0), DigestBytes(zeros.data(), 1));
}

TEST(SpecDigestTest, DigestIsTheOneJournalVersion4Stores) {
  // Journals keep this value for --resume to compare: changing how it is
  // computed needs a new journal version (master/journal_format.h).
  EXPECT_EQ(SpecDigest(DigestSpec()), 0x70ef86014d174472ull);
}

TEST(SpecDigestTest, SameSpecSameDigestInEveryProcess) {
  // The digest is stored in journals and compared by --resume, possibly by
  // another build: it must be a pure function of the fields.
  EXPECT_EQ(SpecDigest(DigestSpec()), SpecDigest(DigestSpec()));
  EXPECT_NE(SpecDigest(DigestSpec()), SpecDigest(TaskSpec{}));
}

}  // namespace
}  // namespace sortie
