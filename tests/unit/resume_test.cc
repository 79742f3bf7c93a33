// Resuming a run from its journal (master/resume.cc): the journal replayed
// into a run state built from the manifest as it is now, a torn tail cut
// off, and tasks whose spec changed since they ran found by row.
#include "master/resume.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "master/journal.h"
#include "master/resume_refusals.h"
#include "master/run_state.h"
#include "test_dir.h"

namespace sortie {
namespace {

namespace fs = std::filesystem;

constexpr double kStartedAt = 1.7e9;

TaskSpec Command(const std::string& id, const std::string& program,
                 uint64_t line) {
  TaskSpec spec;
  spec.id = id;
  spec.command = {program, id};
  spec.line = line;
  return spec;
}

std::vector<TaskSpec> ThreeTasks() {
  return {Command("a", "/bin/true", 1), Command("b", "/bin/true", 2),
          Command("c", "/bin/true", 3)};
}

JournalRecord RunStarted(double time) {
  JournalRecord record;
  record.type = JournalRecordType::kRunStarted;
  record.text = "m.jsonl";
  record.count = 3;
  record.rank = 2;
  record.time = time;
  return record;
}

// `row`'s first attempt exiting with `exit_code` at `time`.
JournalRecord Exited(uint32_t row, int exit_code, double time) {
  TaskResult result;
  result.row = row;
  result.attempt = 1;
  result.exit_code = exit_code;
  result.start_time = time - 1;
  result.end_time = time;
  return RunState::EndedRecord(result, 1);
}

class ResumeTest : public TestWithDir {
 protected:
  std::string RunPath() const { return (dir_ / "run.h5").string(); }
  std::string JournalPath() const { return JournalPathFor(RunPath()); }

  // Flips a byte of the earlier run's second record (a's start); returns
  // where that record starts.
  uint64_t DamageTheSecondRecord() {
    std::string bytes = ReadFile(JournalPath());
    const uint64_t second =
        12 + EncodeJournalRecord(RunStarted(kStartedAt)).size();
    bytes[second + 10] = static_cast<char>(bytes[second + 10] ^ 0x20);
    std::ofstream(JournalPath(), std::ios::binary | std::ios::trunc) << bytes;
    return second;
  }

  // What the run before did with `tasks`: a started, b started and ended
  // DONE, c never started. The last record is flushed like every other.
  void WriteEarlierRun(const std::vector<TaskSpec>& tasks) {
    RunState earlier(tasks, RunInfo{});
    JournalWriter writer(JournalPath());
    writer.Append(RunStarted(kStartedAt));
    writer.Append(earlier.StartedRecord(0, 1, 1, "node-1", kStartedAt + 1));
    writer.Append(earlier.StartedRecord(1, 1, 1, "node-1", kStartedAt + 1));
    writer.Append(Exited(1, 0, kStartedAt + 2));
    writer.Flush();
  }
};

TEST_F(ResumeTest, ReplaysEveryRecordIntoTheState) {
  WriteEarlierRun(ThreeTasks());
  RunState state(ThreeTasks(), RunInfo{});
  const ReplayOutcome outcome = ReplayIntoState(JournalPath(), &state);
  EXPECT_EQ(outcome.error, "");
  EXPECT_EQ(outcome.records, 4u);
  EXPECT_FALSE(outcome.truncated);
  EXPECT_DOUBLE_EQ(outcome.started_at, kStartedAt);
  EXPECT_TRUE(outcome.changed.empty());
  EXPECT_EQ(state.status()[0].state, TaskState::kRunning);
  EXPECT_EQ(state.status()[1].state, TaskState::kDone);
  EXPECT_EQ(state.status()[2].state, TaskState::kPending);
}

TEST_F(ResumeTest, FindsTheRowsWhoseSpecChangedSinceTheyStarted) {
  WriteEarlierRun(ThreeTasks());
  std::vector<TaskSpec> edited = ThreeTasks();
  edited[1].command[0] = "/bin/false";  // ran DONE as /bin/true
  edited[2].command[0] = "/bin/false";  // never started: free to change
  RunState state(edited, RunInfo{});
  const ReplayOutcome outcome = ReplayIntoState(JournalPath(), &state);
  EXPECT_EQ(outcome.error, "");
  EXPECT_EQ(outcome.changed, std::vector<uint32_t>{1});

  const std::vector<ManifestError> errors =
      ChangedTaskErrors("m.jsonl", state, outcome.changed);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].file, "m.jsonl");
  EXPECT_EQ(errors[0].line, 2u);
  EXPECT_NE(errors[0].message.find("task \"b\" changed since it ran"),
            std::string::npos)
      << errors[0].message;
  EXPECT_NE(errors[0].message.find("(state DONE)"), std::string::npos)
      << errors[0].message;
  EXPECT_NE(errors[0].message.find("--force"), std::string::npos)
      << errors[0].message;
}

// After `--resume --force` ran an edited task again, the edit is what ran
// last: later resumes must neither refuse nor rerun it.
TEST_F(ResumeTest, ATaskRunAgainAsItIsNowIsNoLongerChanged) {
  std::vector<TaskSpec> edited = ThreeTasks();
  edited[1].command[0] = "/bin/false";
  WriteEarlierRun(ThreeTasks());
  {
    RunState forced(edited, RunInfo{});
    auto writer = JournalWriter::OpenForAppend(JournalPath());
    writer->Append(forced.StartedRecord(1, 2, 1, "node-1", kStartedAt + 5));
    writer->Append(Exited(1, 0, kStartedAt + 6));
    writer->Flush();
  }
  RunState state(edited, RunInfo{});
  const ReplayOutcome outcome = ReplayIntoState(JournalPath(), &state);
  EXPECT_EQ(outcome.error, "");
  EXPECT_TRUE(outcome.changed.empty());
  EXPECT_EQ(state.status()[1].state, TaskState::kDone);

  // Edited back: what ran last differs again.
  RunState reverted(ThreeTasks(), RunInfo{});
  EXPECT_EQ(ReplayIntoState(JournalPath(), &reverted).changed,
            std::vector<uint32_t>{1});
}

TEST_F(ResumeTest, ManifestGrownAtItsEndResumesWithTheNewTasksPending) {
  WriteEarlierRun(ThreeTasks());
  std::vector<TaskSpec> grown = ThreeTasks();
  grown.push_back(Command("d", "/bin/true", 4));
  RunState state(grown, RunInfo{});
  const ReplayOutcome outcome = ReplayIntoState(JournalPath(), &state);
  EXPECT_EQ(outcome.error, "");
  EXPECT_TRUE(outcome.changed.empty());
  EXPECT_EQ(state.status()[1].state, TaskState::kDone);
  EXPECT_EQ(state.status()[3].state, TaskState::kPending);
}

// The replay itself goes on (rows past the end have no state to go to);
// what had started there is reported, for the resume to refuse.
TEST_F(ResumeTest, StartedRowsBeyondAShrunkManifestAreReported) {
  WriteEarlierRun(ThreeTasks());
  RunState state({Command("a", "/bin/true", 1)}, RunInfo{});
  const ReplayOutcome outcome = ReplayIntoState(JournalPath(), &state);
  EXPECT_EQ(outcome.error, "");
  EXPECT_EQ(outcome.records, 4u);
  EXPECT_TRUE(outcome.changed.empty());
  EXPECT_EQ(state.status()[0].state, TaskState::kRunning);
  EXPECT_EQ(outcome.missing.run_tasks, 3u);
  EXPECT_EQ(outcome.missing.Count(1), 2u);
  EXPECT_EQ(outcome.missing.started, std::set<uint32_t>{1});  // b, DONE
}

// How users remove pending tasks they no longer need: cut them off the end.
TEST_F(ResumeTest, RowsThatNeverStartedMayBeCutOffTheManifest) {
  WriteEarlierRun(ThreeTasks());
  RunState state({Command("a", "/bin/true", 1), Command("b", "/bin/true", 2)},
                 RunInfo{});
  const ReplayOutcome outcome = ReplayIntoState(JournalPath(), &state);
  EXPECT_EQ(outcome.error, "");
  EXPECT_EQ(outcome.missing.Count(2), 1u);
  EXPECT_TRUE(outcome.missing.started.empty());
  testing::internal::CaptureStderr();
  EXPECT_TRUE(
      AcceptMissingTasks("m.jsonl", 2, RunPath(), outcome.missing, false));
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST_F(ResumeTest, AManifestMissingStartedTasksIsRefusedUnlessForced) {
  WriteEarlierRun(ThreeTasks());
  RunState state({Command("a", "/bin/true", 1)}, RunInfo{});
  const ReplayOutcome outcome = ReplayIntoState(JournalPath(), &state);

  testing::internal::CaptureStderr();
  EXPECT_FALSE(
      AcceptMissingTasks("m.jsonl", 1, RunPath(), outcome.missing, false));
  const std::string refusal = testing::internal::GetCapturedStderr();
  for (const std::string& part :
       {std::string("m.jsonl has 1 task, but the run in ") + JournalPath() +
            " has 3: its last 2 tasks are missing from the manifest, and 1 "
            "of those had started (row 1)",
        std::string("--force"), std::string("nothing was run")}) {
    EXPECT_NE(refusal.find(part), std::string::npos) << refusal;
  }

  testing::internal::CaptureStderr();
  EXPECT_TRUE(
      AcceptMissingTasks("m.jsonl", 1, RunPath(), outcome.missing, true));
  const std::string notice = testing::internal::GetCapturedStderr();
  EXPECT_NE(notice.find("--force: dropping the last 2 tasks of the run, "
                        "missing from m.jsonl (1 of them had started: row 1)"),
            std::string::npos)
      << notice;
}

// A journal with a flipped byte early on: good records follow the bad one,
// so it is damage, not a torn tail. Cutting there would lose them.
TEST_F(ResumeTest, ADamagedJournalIsNeitherCutNorResumed) {
  WriteEarlierRun(ThreeTasks());
  const std::string whole = ReadFile(JournalPath());
  const uint64_t stop = DamageTheSecondRecord();

  RunState state(ThreeTasks(), RunInfo{});
  const ReplayOutcome outcome = ReplayIntoState(JournalPath(), &state);
  const std::string expected = "journal " + JournalPath() +
                               " is damaged at byte " + std::to_string(stop) +
                               " of " + std::to_string(whole.size()) +
                               ": 2 good records follow the damage";
  EXPECT_NE(outcome.error.find(expected), std::string::npos) << outcome.error;
  for (const char* part :
       {"would lose", "(at least 1 task recorded DONE would run again)",
        "Keep a copy", "--force"}) {
    EXPECT_NE(outcome.error.find(part), std::string::npos) << outcome.error;
  }
  EXPECT_FALSE(outcome.truncated);
  EXPECT_EQ(fs::file_size(JournalPath()), whole.size());
  EXPECT_EQ(outcome.damage_copy, "");
  EXPECT_EQ(
      std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(ResumeTest, ForcedADamagedJournalIsCopiedThenCut) {
  WriteEarlierRun(ThreeTasks());
  const uint64_t stop = DamageTheSecondRecord();
  const std::string damaged = ReadFile(JournalPath());

  RunState state(ThreeTasks(), RunInfo{});
  const ReplayOutcome outcome = ReplayIntoState(JournalPath(), &state, true);
  EXPECT_EQ(outcome.error, "");
  EXPECT_TRUE(outcome.truncated);
  EXPECT_EQ(outcome.records, 1u);
  EXPECT_EQ(fs::file_size(JournalPath()), stop);
  ASSERT_NE(outcome.damage_copy, "");
  EXPECT_EQ(ReadFile(outcome.damage_copy), damaged);
  EXPECT_EQ(outcome.tail.records_after, 2u);
  EXPECT_EQ(state.status()[1].state, TaskState::kPending);  // runs again
  const std::string notice =
      CutDamageNotice(JournalPath(), outcome.tail, outcome.damage_copy);
  EXPECT_NE(notice.find("kept a copy in " + outcome.damage_copy),
            std::string::npos)
      << notice;
}

TEST_F(ResumeTest, CutsATornTailOffTheFileOnce) {
  WriteEarlierRun(ThreeTasks());
  const auto whole = fs::file_size(JournalPath());
  // A killed master's last write: a frame header promising 48 bytes of
  // payload, and 3 of them.
  std::ofstream(JournalPath(), std::ios::binary | std::ios::app)
      << std::string("\x30\x00\x00\x00\x01\x02\x03\x04\x05\x06\x07", 11);
  ASSERT_EQ(fs::file_size(JournalPath()), whole + 11);

  RunState state(ThreeTasks(), RunInfo{});
  const ReplayOutcome outcome = ReplayIntoState(JournalPath(), &state);
  EXPECT_EQ(outcome.error, "");
  EXPECT_TRUE(outcome.truncated);
  EXPECT_EQ(outcome.records, 4u);
  EXPECT_EQ(fs::file_size(JournalPath()), whole);
  EXPECT_EQ(state.status()[1].state, TaskState::kDone);

  RunState again(ThreeTasks(), RunInfo{});
  const ReplayOutcome second = ReplayIntoState(JournalPath(), &again);
  EXPECT_EQ(second.error, "");
  EXPECT_FALSE(second.truncated);
  EXPECT_EQ(second.records, 4u);
}

TEST_F(ResumeTest, AJournalWithoutARunStartIsRefused) {
  {
    JournalWriter writer(JournalPath());
    RunState earlier(ThreeTasks(), RunInfo{});
    writer.Append(earlier.StartedRecord(0, 1, 1, "node-1", kStartedAt));
    writer.Flush();
  }
  RunState state(ThreeTasks(), RunInfo{});
  const ReplayOutcome outcome = ReplayIntoState(JournalPath(), &state);
  EXPECT_NE(outcome.error.find(JournalPath()), std::string::npos)
      << outcome.error;
  EXPECT_NE(outcome.error.find("not a sortie journal"), std::string::npos)
      << outcome.error;
}

TEST_F(ResumeTest, AFileThatIsNoJournalIsAnErrorNamingIt) {
  std::ofstream(JournalPath()) << "id,state\na,DONE\n";
  RunState state(ThreeTasks(), RunInfo{});
  const ReplayOutcome outcome = ReplayIntoState(JournalPath(), &state);
  EXPECT_NE(outcome.error.find(JournalPath()), std::string::npos)
      << outcome.error;
  EXPECT_EQ(outcome.records, 0u);
  EXPECT_EQ(state.status()[0].state, TaskState::kPending);
}

TEST_F(ResumeTest, TheRunStartedWhenItsFirstAllocationDid) {
  WriteEarlierRun(ThreeTasks());
  {
    // A second allocation resumed it and was killed in turn.
    std::unique_ptr<JournalWriter> writer =
        JournalWriter::OpenForAppend(JournalPath());
    JournalRecord resumed = RunStarted(kStartedAt + 3600);
    resumed.type = JournalRecordType::kRunResumed;
    writer->Append(resumed);
    writer->Flush();
  }
  RunState state(ThreeTasks(), RunInfo{});
  const ReplayOutcome outcome = ReplayIntoState(JournalPath(), &state);
  EXPECT_EQ(outcome.error, "");
  EXPECT_DOUBLE_EQ(outcome.started_at, kStartedAt);
}

// What `sortie run` says when it is not resuming a journal, for each of
// what an earlier run may have left (docs/resilience.md has the table).
TEST(RefusalToStartTest, SaysWhatIsActuallyTheCase) {
  const std::string out = "/r/run.h5";
  // Nothing there: a new run, whatever the flags.
  for (bool resume : {false, true}) {
    EXPECT_EQ(RefusalToStart(out, false, false, resume, false), "");
  }
  // --overwrite replaces whatever is there.
  for (bool journal : {false, true}) {
    EXPECT_EQ(RefusalToStart(out, journal, true, false, true), "");
  }
  // A journal (with or without run.h5), not resumed.
  for (bool run_file : {false, true}) {
    EXPECT_EQ(RefusalToStart(out, true, run_file, false, false),
              "/r/run.h5 or its journal exists: add --resume to continue "
              "that run, or --overwrite to start a new one");
  }
  // run.h5 alone: nothing to resume from.
  EXPECT_EQ(RefusalToStart(out, false, true, true, false),
            "cannot resume /r/run.h5: its journal /r/run.h5.journal does not "
            "exist, so nothing records which of its tasks ran; --overwrite "
            "starts a new run in its place");
  const std::string plain = RefusalToStart(out, false, true, false, false);
  EXPECT_EQ(plain,
            "/r/run.h5 exists without its journal /r/run.h5.journal, so it "
            "cannot be resumed: --overwrite starts a new run in its place");
}

// The earlier run was killed while "a" ran: the resume journals that
// attempt's end, INTERRUPTED at the latest time the journal had, before
// anything of its own, so /events closes it and a replay agrees.
TEST_F(ResumeTest, AttemptsLostInTheCrashAreJournaledAsInterrupted) {
  WriteEarlierRun(ThreeTasks());
  RunState state(ThreeTasks(), RunInfo{});
  ASSERT_EQ(ReplayIntoState(JournalPath(), &state).error, "");
  {
    std::unique_ptr<JournalWriter> writer =
        JournalWriter::OpenForAppend(JournalPath());
    EXPECT_EQ(RecordLostAttempts(&state, writer.get()), 1u);
    writer->Flush();
  }
  EXPECT_EQ(state.status()[0].state, TaskState::kInterrupted);
  std::vector<JournalRecord> records;
  ASSERT_EQ(ReplayJournal(JournalPath(),
                          [&](const JournalRecord& r) { records.push_back(r); })
                .error,
            "");
  ASSERT_EQ(records.size(), 5u);
  const JournalRecord& lost = records.back();
  EXPECT_EQ(lost.type, JournalRecordType::kTaskEnded);
  EXPECT_EQ(lost.row, 0u);
  EXPECT_EQ(lost.attempt, 1);
  EXPECT_EQ(lost.rank, 1);
  EXPECT_EQ(lost.state, TaskState::kInterrupted);
  EXPECT_EQ(lost.time, kStartedAt + 2);  // b's end, the latest record
  EXPECT_EQ(lost.text, kLostReason);

  // Replayed again (a second resume), nothing is lost any more, and the
  // task is run again without using up a retry.
  RunState again(ThreeTasks(), RunInfo{});
  ASSERT_EQ(ReplayIntoState(JournalPath(), &again).error, "");
  std::unique_ptr<JournalWriter> writer =
      JournalWriter::OpenForAppend(JournalPath());
  EXPECT_EQ(RecordLostAttempts(&again, writer.get()), 0u);
  again.PrepareResume(false);
  EXPECT_EQ(again.status()[0].state, TaskState::kPending);
  EXPECT_EQ(again.status()[0].failures, 0);
  EXPECT_EQ(again.status()[0].attempts, 1);
}

}  // namespace
}  // namespace sortie
