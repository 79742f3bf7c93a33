// What the master does when tasks do not simply succeed (master/master.cc):
// failures and timeouts are retried, a failed prerequisite skips its
// dependants, a drain interrupts running tasks, and a walltime drains
// before the end and holds back tasks that cannot finish in time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "fakes.h"
#include "master/master.h"
#include "master_fixtures.h"

namespace sortie {
namespace {

using ::sortie::testing::SimulatedRun;

std::vector<std::string> Events(const RunState& state) {
  std::vector<std::string> out;
  for (const TaskEvent& e : state.View().events) {
    out.push_back(
        std::to_string(e.row) + ":" + std::to_string(e.attempt) + ":" +
        (e.state == TaskState::kRunning ? "STARTED"
                                        : std::string(StateName(e.state))));
  }
  return out;
}

TEST(MasterTest, FailedAttemptsAreRetriedUpToTheirRetries) {
  std::vector<TaskSpec> specs = Specs(2);
  specs[0].retries = 2;  // fails twice, then succeeds
  specs[1].retries = 1;  // always fails: two attempts in all
  Harness h(
      specs, 2,
      [](const Assignment& a, int) {
        bool ok = a.row == 0 && a.attempt == 3;
        return SimulatedRun{ok ? 0 : 1, 0, 1.0};
      },
      1);
  EXPECT_EQ(h.Run(), 1);
  EXPECT_EQ(h.state.status()[0].state, TaskState::kDone);
  EXPECT_EQ(h.state.status()[0].attempts, 3);
  EXPECT_EQ(h.state.status()[1].state, TaskState::kFailed);
  EXPECT_EQ(h.state.status()[1].attempts, 2);
  EXPECT_THAT(Events(h.state),
              // A retry keeps its place in manifest order: row 0 goes first.
              ::testing::ElementsAre("0:1:STARTED", "0:1:FAILED", "0:2:STARTED",
                                     "0:2:FAILED", "0:3:STARTED", "0:3:DONE",
                                     "1:1:STARTED", "1:1:FAILED", "1:2:STARTED",
                                     "1:2:FAILED"));
}

TEST(MasterTest, TimeoutIsRetriedAndRecorded) {
  std::vector<TaskSpec> specs = Specs(1);
  specs[0].retries = 1;
  Harness h(
      specs, 2,
      [](const Assignment& a, int) {
        SimulatedRun run{-1, 15, 1.0};
        run.cause = a.attempt == 1 ? EndCause::kTimedOut : EndCause::kExited;
        if (a.attempt == 2) run = SimulatedRun{0, 0, 1.0};
        return run;
      },
      1);
  EXPECT_EQ(h.Run(), 0);
  EXPECT_THAT(Events(h.state),
              ::testing::ElementsAre("0:1:STARTED", "0:1:TIMEOUT",
                                     "0:2:STARTED", "0:2:DONE"));
}

TEST(MasterTest,
     DependantsWaitAndAreSkippedTransitivelyWhenAPrerequisiteFails) {
  // 0 -> 1 -> 2, 0 -> 3; 4 after 5 (5 succeeds), 6 independent.
  std::vector<TaskSpec> specs = Specs(7);
  specs[1].after = {0};
  specs[2].after = {1};
  specs[3].after = {0};
  specs[4].after = {5};
  Harness h(
      specs, 3,
      [](const Assignment& a, int) {
        return SimulatedRun{a.row == 0 ? 2 : 0, 0, 1.0};
      },
      2);
  EXPECT_EQ(h.Run(), 1);
  const auto& status = h.state.status();
  EXPECT_EQ(status[0].state, TaskState::kFailed);
  for (uint32_t row : {1u, 2u, 3u}) {
    EXPECT_EQ(status[row].state, TaskState::kSkipped) << row;
    EXPECT_EQ(status[row].attempts, 0) << row;
  }
  EXPECT_EQ(h.state.View().notes[1].reason, "after \"t0\", which ended FAILED");
  EXPECT_EQ(h.state.View().notes[2].reason,
            "after \"t1\", which ended SKIPPED");
  EXPECT_EQ(status[4].state, TaskState::kDone);
  EXPECT_GE(status[4].start_time, status[5].end_time);
  EXPECT_EQ(status[6].state, TaskState::kDone);
  for (const auto& [assignment, rank] : h.cluster.assignments) {
    EXPECT_TRUE(assignment.row != 1 && assignment.row != 2 &&
                assignment.row != 3);
  }
}

// As after --resume: prerequisites DONE in the journal release their
// dependants at once; a pending one still holds its own back.
TEST(MasterTest, PrerequisitesDoneBeforeTheRunDoNotHoldTheirDependants) {
  // 0 (done before) -> 1; 2 (pending) -> 3; 0 and 2 -> 4.
  std::vector<TaskSpec> specs = Specs(5);
  specs[1].after = {0};
  specs[3].after = {2};
  specs[4].after = {0, 2};
  Harness h(
      specs, 2,
      [](const Assignment&, int) {
        return SimulatedRun{0, 0, 1.0};
      },
      1);
  h.state.Apply(RunState::StartedRecord(0, 1, 1, "n", 1.0, 0));
  TaskResult done;
  done.row = 0;
  done.attempt = 1;
  done.exit_code = 0;
  done.start_time = 1.0;
  done.end_time = 2.0;
  h.state.Apply(RunState::EndedRecord(done, 1));
  ASSERT_EQ(h.state.status()[0].state, TaskState::kDone);
  EXPECT_EQ(h.Run(), 0);
  std::vector<uint32_t> order;
  for (const auto& [assignment, rank] : h.cluster.assignments) {
    order.push_back(assignment.row);
  }
  // One core: 1 and 2 are ready at the start, in row order; 3 and 4 wait
  // for 2.
  EXPECT_THAT(order, ::testing::ElementsAre(1, 2, 3, 4));
}

TEST(MasterTest, DrainInterruptsRunningTasksAndStartsNoMore) {
  Harness h(
      10, 3,
      [](const Assignment&, int) {
        return SimulatedRun{0, 0, 5.0};
      },
      1);
  h.options.drain_requested = [&h] { return h.clock.Monotonic() > 7.0; };
  EXPECT_EQ(h.Run(), kIncompleteStatus);
  EXPECT_THAT(h.cluster.drained, ::testing::UnorderedElementsAre(1, 2));
  EXPECT_EQ(h.state.Count(TaskState::kDone), 2u);
  EXPECT_EQ(h.state.Count(TaskState::kInterrupted), 2u);
  EXPECT_EQ(h.state.Count(TaskState::kPending), 6u);
  EXPECT_EQ(h.cluster.assignments.size(), 4u);
  EXPECT_EQ(h.cluster.shutdowns[1].exit_code, kIncompleteStatus);
}

TEST(MasterTest, WalltimeDrainsBeforeTheEndAndSkipsTasksThatCannotFinish) {
  std::vector<TaskSpec> specs = Specs(4);
  specs[0].est_runtime = 10;
  specs[1].est_runtime = 500;  // cannot finish before the walltime
  specs[2].est_runtime = 10;
  Harness h(
      specs, 2,
      [](const Assignment& a, int) {
        return SimulatedRun{0, 0, a.row == 3 ? 100.0 : 10.0};
      },
      1);
  h.options.walltime_end = h.clock.Now() + 100;
  h.options.walltime_margin = 30;
  EXPECT_EQ(h.Run(), kIncompleteStatus);
  const auto& status = h.state.status();
  EXPECT_EQ(status[0].state, TaskState::kDone);
  EXPECT_EQ(status[1].state, TaskState::kPending);
  EXPECT_THAT(h.state.View().notes[1].reason, ::testing::HasSubstr("walltime"));
  EXPECT_EQ(status[2].state, TaskState::kDone);
  EXPECT_EQ(status[3].state, TaskState::kInterrupted);
  EXPECT_LT(status[3].end_time, h.options.walltime_end - 29);
}

}  // namespace
}  // namespace sortie
