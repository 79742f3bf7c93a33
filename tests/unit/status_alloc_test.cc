// `sortie status` of a run resumed in a second allocation an hour after the
// first: its rate is over the allocations' time, not the wait between them.
#include <gtest/gtest.h>

#include <string>

#include "master/status_summary.h"

namespace sortie {
namespace {

constexpr double kT0 = 1000.0;  // started_at

TaskRow Done(std::string id, double start, double end) {
  TaskRow t;
  t.id = std::move(id);
  t.state = TaskState::kDone;
  t.exit_code = 0;
  t.start_time = start;
  t.end_time = end;
  return t;
}

// Allocations [0, 100] and [3700, 3800] after kT0; two tasks ended in each.
RunData Resumed() {
  RunData run;
  run.info.started_at = kT0;
  run.info.finished_at = kT0 + 3800;
  run.allocations = {AllocationRecord{kT0, kT0 + 100, 3, 2},
                     AllocationRecord{kT0 + 3700, kT0 + 3800, 3, 2}};
  run.tasks = {Done("a", kT0 + 1, kT0 + 50), Done("b", kT0 + 1, kT0 + 99),
               Done("c", kT0 + 3701, kT0 + 3750),
               Done("d", kT0 + 3701, kT0 + 3799)};
  return run;
}

TEST(StatusAllocations, TheRateLeavesOutTheWaitBetweenAllocations) {
  const StatusSummary s = Summarise(Resumed(), kT0 + 9999, 10);
  EXPECT_DOUBLE_EQ(s.elapsed, 3800.0);
  EXPECT_EQ(s.allocations, 2u);
  EXPECT_DOUBLE_EQ(s.allocated, 200.0);
  EXPECT_DOUBLE_EQ(s.tasks_per_second, 4 / 200.0);
}

// The allocation still running counts until now.
TEST(StatusAllocations, TheAllocationStillRunningCountsUntilNow) {
  RunData run = Resumed();
  run.info.finished_at = kNoTime;
  run.allocations[1].ended_at = kNoTime;
  run.tasks[3].state = TaskState::kRunning;
  run.tasks[3].end_time = kNoTime;
  const StatusSummary s = Summarise(run, kT0 + 3750, 10);
  EXPECT_DOUBLE_EQ(s.elapsed, 3750.0);
  EXPECT_DOUBLE_EQ(s.allocated, 150.0);
  EXPECT_DOUBLE_EQ(s.tasks_per_second, 3 / 150.0);
}

// A file without /allocations: the time since started_at, as before.
TEST(StatusAllocations, WithoutAllocationsTheRateIsOverTheElapsedTime) {
  RunData run = Resumed();
  run.allocations.clear();
  const StatusSummary s = Summarise(run, kT0 + 9999, 10);
  EXPECT_EQ(s.allocations, 0u);
  EXPECT_DOUBLE_EQ(s.allocated, 3800.0);
  EXPECT_DOUBLE_EQ(s.tasks_per_second, 4 / 3800.0);
}

}  // namespace
}  // namespace sortie
