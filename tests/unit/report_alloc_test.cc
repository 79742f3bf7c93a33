// The report of a run resumed in a second allocation an hour after the
// first: the wait between them is neither allocated time nor overhead.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "master/report_command.h"
#include "master/report_data.h"

namespace sortie {
namespace {

constexpr double kT0 = 1000.0;  // started_at

TaskRow Done(std::string id, double start, double end, int32_t rank,
             int32_t node) {
  TaskRow t;
  t.id = std::move(id);
  t.state = TaskState::kDone;
  t.exit_code = 0;
  t.start_time = start;
  t.end_time = end;
  t.rank = rank;
  t.node_ids = {node};
  return t;
}

void Event(RunData* run, uint32_t row, int32_t attempt, double time,
           TaskState state, int32_t rank) {
  run->events.push_back(TaskEvent{row, attempt, time, state, rank});
}

// Two allocations of two 2-core nodes (ranks 0 and 1 each): the first
// [0, 100] (/nodes rows 0, 1), the second [3700, 3800] (rows 2, 3), times
// after kT0. Each is busy from 1 to 99 on both nodes:
//   a: attempt 1 rank 0 1..99, lost (INTERRUPTED); attempt 2 rank 1
//      3701..3799 on row 3
//   b: rank 1 1..99 on row 1
//   c: attempt 1 rank 0 3701..3750 FAILED; attempt 2 rank 0 3750..3799 on
//      row 2
//   d: rank 0 3701..3750 on row 2, beside c's first attempt
RunData TwoAllocations() {
  RunData run;
  run.info.started_at = kT0;
  run.info.finished_at = kT0 + 3800;
  run.allocations = {AllocationRecord{kT0, kT0 + 100, 3, 2},
                     AllocationRecord{kT0 + 3700, kT0 + 3800, 3, 2}};
  run.nodes = {NodeRecord{0, "h0", 2, 0, 0}, NodeRecord{1, "h1", 2, 0, 0},
               NodeRecord{0, "h2", 2, 0, 1}, NodeRecord{1, "h3", 2, 0, 1}};
  run.tasks = {Done("a", kT0 + 3701, kT0 + 3799, 1, 3),
               Done("b", kT0 + 1, kT0 + 99, 1, 1),
               Done("c", kT0 + 3750, kT0 + 3799, 0, 2),
               Done("d", kT0 + 3701, kT0 + 3750, 0, 2)};
  Event(&run, 0, 1, kT0 + 1, TaskState::kRunning, 0);
  Event(&run, 1, 1, kT0 + 1, TaskState::kRunning, 1);
  Event(&run, 0, 1, kT0 + 99, TaskState::kInterrupted, 0);
  Event(&run, 1, 1, kT0 + 99, TaskState::kDone, 1);
  Event(&run, 0, 2, kT0 + 3701, TaskState::kRunning, 1);
  Event(&run, 2, 1, kT0 + 3701, TaskState::kRunning, 0);
  Event(&run, 3, 1, kT0 + 3701, TaskState::kRunning, 0);
  Event(&run, 2, 1, kT0 + 3750, TaskState::kFailed, 0);
  Event(&run, 3, 1, kT0 + 3750, TaskState::kDone, 0);
  Event(&run, 2, 2, kT0 + 3750, TaskState::kRunning, 0);
  Event(&run, 0, 2, kT0 + 3799, TaskState::kDone, 1);
  Event(&run, 2, 2, kT0 + 3799, TaskState::kDone, 0);
  return run;
}

TEST(ReportAllocations, AllocatedHoursLeaveOutTheWaitBetweenAllocations) {
  const ReportData r = Aggregate(TwoAllocations(), {});
  EXPECT_DOUBLE_EQ(r.wall, 3800.0);
  ASSERT_EQ(r.allocations.size(), 2u);
  EXPECT_DOUBLE_EQ(r.allocated, 200.0);
  // 2 nodes x 100 s in each; 4 cores x 100 s in each.
  EXPECT_NEAR(r.node_hours_allocated, 400.0 / 3600, 1e-12);
  EXPECT_NEAR(r.core_hours_allocated, 800.0 / 3600, 1e-12);
  // a 98 + 98, b 98, c 49 + 49, d 49 core-seconds (1 core each).
  EXPECT_NEAR(r.core_hours_used, 441.0 / 3600, 1e-12);
  EXPECT_EQ(r.nodes, 2u);  // the latest allocation's
  EXPECT_EQ(r.cores, 4);
}

TEST(ReportAllocations, TheWaitBetweenAllocationsIsNotOverhead) {
  const ReportData r = Aggregate(TwoAllocations(), {});
  // Each allocation: 1 s to its first start, 1 s after its last end.
  EXPECT_DOUBLE_EQ(r.overhead.startup, 2.0);
  EXPECT_DOUBLE_EQ(r.overhead.gaps, 0.0);
  EXPECT_DOUBLE_EQ(r.overhead.teardown, 2.0);
  // Only c's and d's ends at 3750 had a next start on their rank (c's
  // retry); the ends at 99 had none in their allocation.
  EXPECT_EQ(r.overhead.refills, 2u);
  EXPECT_DOUBLE_EQ(r.overhead.refill_max, 0.0);
}

TEST(ReportAllocations, AStartedAttemptWithoutAnEndEndsWithItsAllocation) {
  RunData run = TwoAllocations();
  run.events.erase(run.events.begin() + 2);  // a's lost attempt: no end
  const std::vector<Attempt> attempts = CollectAttempts(run, kT0 + 3800);
  ASSERT_EQ(attempts[0].row, 0u);
  EXPECT_EQ(attempts[0].state, TaskState::kRunning);
  EXPECT_EQ(attempts[0].allocation, 0u);
  EXPECT_DOUBLE_EQ(attempts[0].end, kT0 + 100);
  EXPECT_EQ(attempts.back().allocation, 1u);
}

TEST(ReportAllocations, TheAllocationStillRunningEndsAtTheReportsEnd) {
  RunData run = TwoAllocations();
  run.info.finished_at = kNoTime;
  run.info.written_at = kT0 + 3810;
  run.allocations[1].ended_at = kNoTime;
  const ReportData r = Aggregate(run, {});
  EXPECT_DOUBLE_EQ(r.allocated, 210.0);
  EXPECT_NEAR(r.node_hours_allocated, (200.0 + 220.0) / 3600, 1e-12);
  EXPECT_DOUBLE_EQ(r.overhead.teardown, 1.0);  // the first allocation's
}

// A journal from before AllocationNodes gave its allocation no /nodes
// rows: it counts with the latest allocation's nodes, not with none.
TEST(ReportAllocations, AnAllocationWithoutNodeRowsCountsTheLatestsNodes) {
  RunData run = TwoAllocations();
  run.nodes.erase(run.nodes.begin(), run.nodes.begin() + 2);
  run.allocations[0].nodes = 0;
  const ReportData r = Aggregate(run, {});
  EXPECT_NEAR(r.node_hours_allocated, 400.0 / 3600, 1e-12);
}

// The (first) bar of task `row`'s attempt that started at `start`.
const GanttBar* BarOf(const GanttData& g, size_t row, double start) {
  for (const GanttBar& bar : g.bars) {
    if (bar.row == row && bar.start == start) return &bar;
  }
  return nullptr;
}

// Earlier attempts go to the node their rank served in the allocation they
// ran in: rank 0 is row 0 in the first allocation and row 2 in the second.
TEST(ReportAllocations, AnEarlierAttemptIsOnItsRanksNodeOfItsAllocation) {
  const RunData run = TwoAllocations();
  const GanttData g =
      LayOutGantt(run, CollectAttempts(run, kT0 + 3800), kT0, kMaxGanttBars);
  ASSERT_EQ(g.lanes.size(), 4u);
  const GanttBar* a1 = BarOf(g, 0, 1);
  ASSERT_NE(a1, nullptr);
  EXPECT_EQ(a1->node, 0);
  const GanttBar* c1 = BarOf(g, 2, 3701);
  ASSERT_NE(c1, nullptr);
  EXPECT_EQ(c1->node, 2);
  EXPECT_EQ(g.lanes[2], 2);  // beside d
  EXPECT_EQ(g.lanes[0], 1);
}

TEST(ReportAllocations, BusyNodeTimeCountsEachAllocationsNodes) {
  const RunData run = TwoAllocations();
  // Every row busy 1..99 of its allocation; c's first attempt and d share
  // row 2, counted once.
  EXPECT_DOUBLE_EQ(NodeBusySeconds(run, CollectAttempts(run, kT0 + 3800)),
                   4 * 98.0);
  const ReportData r = Aggregate(run, {});
  EXPECT_NEAR(r.node_hours_busy / r.node_hours_allocated, 0.98, 1e-12);
}

TEST(ReportAllocations, TextAndPageSayHowManyAllocations) {
  const RunData run = TwoAllocations();
  const ReportData r = Aggregate(run, {});
  const std::string text = ReportText("R.h5", run, r);
  EXPECT_NE(text.find("allocations: 2, 3 min 20 s allocated"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("nodes: 2, cores: 4 (the latest allocation)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("(2.0% of allocated time)"), std::string::npos) << text;
  const std::string html = ReportHtml("R.h5", run, r);
  EXPECT_NE(html.find("in 2 allocations, 3 min 20 s allocated"),
            std::string::npos);
}

// One allocation: the /allocations row spans the wall time, so the numbers
// and the text are those of a file without /allocations.
TEST(ReportAllocations, OneAllocationReadsAsWithoutTheTable) {
  RunData run = TwoAllocations();
  run.allocations.pop_back();
  run.allocations[0].ended_at = run.info.finished_at;
  for (NodeRecord& node : run.nodes) node.allocation = 0;
  RunData without = run;
  without.allocations.clear();
  const ReportData r = Aggregate(run, {});
  const ReportData w = Aggregate(without, {});
  EXPECT_DOUBLE_EQ(r.allocated, r.wall);
  EXPECT_DOUBLE_EQ(r.core_hours_allocated, w.core_hours_allocated);
  EXPECT_DOUBLE_EQ(r.overhead.Total(), w.overhead.Total());
  const std::string text = ReportText("R.h5", run, r);
  EXPECT_EQ(text, ReportText("R.h5", without, w));
  EXPECT_EQ(text.find("allocations:"), std::string::npos) << text;
  EXPECT_NE(text.find("of wall time"), std::string::npos) << text;
}

}  // namespace
}  // namespace sortie
