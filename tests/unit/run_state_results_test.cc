// A task's results and launch error through the master's state and the
// journal: only the latest attempt's count, and a replayed journal gives
// them back.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "master/journal.h"
#include "master/run_state.h"
#include "test_dir.h"

namespace sortie {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TaskResult Ended(int32_t attempt, int exit_code,
                 std::vector<ResultValue> results) {
  TaskResult result;
  result.row = 0;
  result.attempt = attempt;
  result.exit_code = exit_code;
  result.end_time = 10.0 + attempt;
  result.results = std::move(results);
  return result;
}

// What the master records for one attempt of row 0.
std::vector<JournalRecord> Attempt(const RunState& state,
                                   const TaskResult& result) {
  std::vector<JournalRecord> records = {
      state.StartedRecord(0, result.attempt, 1, "n1", 1.0)};
  if (!result.results.empty()) {
    records.push_back(RunState::ResultsRecord(result));
  }
  records.push_back(RunState::EndedRecord(result, 1));
  return records;
}

RunState OneTask(int32_t retries) {
  TaskSpec spec;
  spec.id = "t";
  spec.command = {"app"};
  spec.retries = retries;
  return RunState({spec}, RunInfo{});
}

TEST(RunStateResultsTest, NotesAreStoredOnlyForTasksThatHaveAny) {
  RunState state = OneTask(1);
  TaskResult quiet = Ended(1, 1, {});
  for (const JournalRecord& record : Attempt(state, quiet)) {
    state.Apply(record);
  }
  EXPECT_TRUE(state.View().notes[0].empty());

  TaskResult loud = Ended(2, 1, {});
  loud.stderr_tail = "boom\n";
  for (const JournalRecord& record : Attempt(state, loud)) {
    state.Apply(record);
  }
  EXPECT_EQ(state.View().notes[0].stderr_tail, "boom\n");
}

TEST(TaskNotesTableTest, EmptyNotesAreNotKept) {
  TaskNotesTable table(
      std::vector<TaskNotes>{TaskNotes{}, TaskNotes{"out", "", ""}});
  ASSERT_EQ(table.size(), 2u);
  EXPECT_TRUE(table[0].empty());
  EXPECT_EQ(table[1].stdout_tail, "out");
  table.Edit(1).stdout_tail.clear();
  table.Compact(1);
  EXPECT_TRUE(table[1].empty());
  table.Edit(0).reason = "why";
  table.Compact(0);
  EXPECT_EQ(table[0].reason, "why");
}

TEST(RunStateResultsTest, OnlyTheLatestAttemptsResultsAreKept) {
  RunState state = OneTask(1);
  for (const JournalRecord& record :
       Attempt(state, Ended(1, 1, {{"time", 9, "9"}}))) {
    state.Apply(record);
  }
  EXPECT_THAT(state.View().notes[0].results,
              ElementsAre(ResultValue{"time", 9, "9"}));
  // The retry reports nothing: the first attempt's results go.
  for (const JournalRecord& record : Attempt(state, Ended(2, 0, {}))) {
    state.Apply(record);
  }
  EXPECT_EQ(state.status()[0].state, TaskState::kDone);
  EXPECT_THAT(state.View().notes[0].results, IsEmpty());
}

TEST(RunStateResultsTest, ResultsSurviveAJournalReplay) {
  const std::string path =
      (std::filesystem::temp_directory_path() /
       ("sortie_run_state_results_" + std::to_string(getpid()) + ".journal"))
          .string();
  RunState live = OneTask(0);
  const std::vector<ResultValue> values = {{"label", kNoTime, "big"},
                                           {"time", 0.5, "0.5"}};
  {
    JournalWriter writer(path);
    for (const JournalRecord& record : Attempt(live, Ended(1, 0, values))) {
      writer.Append(record);
      live.Apply(record);
    }
    writer.Flush();
  }
  RunState replayed = OneTask(0);
  ReplayResult replay = ReplayJournal(
      path, [&](const JournalRecord& record) { replayed.Apply(record); });
  std::filesystem::remove(path);
  ASSERT_EQ(replay.error, "");
  EXPECT_EQ(replay.records, 3u);
  EXPECT_EQ(replayed.status()[0].state, TaskState::kDone);
  EXPECT_EQ(replayed.View().notes[0].results, values);
  EXPECT_EQ(replayed.View().notes[0].results, live.View().notes[0].results);
}

// A task that could not start: the worker's launch error is the task's
// reason, live and after a resume replays the journal, and the next attempt's
// end replaces it.
TEST(RunStateResultsTest, ALaunchErrorIsTheTasksReasonLiveAndReplayed) {
  const std::filesystem::path dir = FreshTestDir("reason");
  const std::string path = (dir / "run.h5.journal").string();
  TaskResult failed = Ended(1, 127, {});
  failed.reason = "cannot run /no/such/program: No such file or directory";
  RunState live = OneTask(1);
  EXPECT_EQ(RunState::EndedRecord(failed, 1).text, failed.reason);
  {
    JournalWriter writer(path);
    for (const JournalRecord& record : Attempt(live, failed)) {
      writer.Append(record);
      live.Apply(record);
    }
    writer.Flush();
  }
  EXPECT_EQ(live.View().notes[0].reason, failed.reason);
  RunState replayed = OneTask(1);
  ReplayResult replay = ReplayJournal(
      path, [&](const JournalRecord& record) { replayed.Apply(record); });
  ASSERT_EQ(replay.error, "");
  EXPECT_EQ(replayed.View().notes[0].reason, failed.reason);
  // The retry ran: its end says nothing of the launch error any more.
  for (const JournalRecord& record : Attempt(replayed, Ended(2, 0, {}))) {
    replayed.Apply(record);
  }
  EXPECT_EQ(replayed.status()[0].state, TaskState::kDone);
  EXPECT_EQ(replayed.View().notes[0].reason, "");
}

}  // namespace
}  // namespace sortie
