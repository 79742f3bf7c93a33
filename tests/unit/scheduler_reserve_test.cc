// The head's reservation and EASY backfill (master/scheduler_reserve.cc):
// wide tasks are not starved by small ones, and small tasks still fill what
// the reservation does not need, or need yet.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "master/scheduler.h"
#include "scheduler_fixtures.h"

namespace sortie {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<uint32_t> Range(uint32_t first, uint32_t last) {
  std::vector<uint32_t> rows;
  for (uint32_t r = first; r < last; ++r) rows.push_back(r);
  return rows;
}

// The scenario: 4 whole-node tasks, a 4-node task, 50 small ones.
std::vector<TaskShape> WideBehindWholeNodes(double small_est,
                                            double whole_est = kUnknown) {
  std::vector<TaskShape> shapes(4, Cores(4, whole_est));
  shapes.push_back(Shape(4, 1, 4, 0, 0, whole_est < 0 ? kUnknown : 50));
  shapes.resize(55, Cores(1, small_est));
  return shapes;
}

TEST(SchedulerTest, WideTaskIsNotStarvedWhenRuntimesAreUnknown) {
  Scheduler s(WideBehindWholeNodes(kUnknown));
  AddNodes(s, 4, 4);
  ReadyAll(s, 55);
  EXPECT_THAT(Rows(s.Place(0)), ElementsAre(0, 1, 2, 3));
  for (uint32_t row = 0; row < 3; ++row) {
    s.Release(row, row + 1.0);
    EXPECT_THAT(s.Place(row + 1.0), IsEmpty()) << "after row " << row;
  }
  s.Release(3, 4);
  std::vector<Placement> p = s.Place(4);
  ASSERT_THAT(Rows(p), ElementsAre(4));
  EXPECT_EQ(p[0].slices.size(), 4u);
  s.Release(4, 5);
  EXPECT_THAT(Rows(s.Place(5)), ::testing::ContainerEq(Range(5, 21)));
}

TEST(SchedulerTest, SmallTasksBackfillOnlyNodesTheReservationDoesNotNeed) {
  std::vector<TaskShape> shapes = WideBehindWholeNodes(kUnknown);
  Scheduler s(shapes);
  AddNodes(s, 5, 4);
  ReadyAll(s, 55);
  EXPECT_THAT(Rows(s.Place(0)), ElementsAre(0, 1, 2, 3));  // node 4 held
  s.Release(3, 1);  // node 3 drained last: the reservation took 4, 0, 1, 2
  std::vector<Placement> p = s.Place(1);
  ASSERT_THAT(Rows(p), ElementsAre(5, 6, 7, 8));
  for (const Placement& q : p) EXPECT_EQ(q.slices[0].node, 3);
  for (uint32_t row = 0; row < 2; ++row) s.Release(row, 2);
  EXPECT_THAT(s.Place(2), IsEmpty());
  s.Release(2, 3);
  p = s.Place(3);
  ASSERT_THAT(Rows(p), ElementsAre(4));
  std::vector<int32_t> nodes;
  for (const NodeSlice& slice : p[0].slices) nodes.push_back(slice.node);
  EXPECT_THAT(nodes, ElementsAre(0, 1, 2, 4));
}

TEST(SchedulerTest, ShortTasksBackfillBeforeTheReservationStarts) {
  Scheduler s(WideBehindWholeNodes(10, 100));
  AddNodes(s, 4, 4);
  ReadyAll(s, 55);
  std::vector<double> runtimes(55, 10);
  runtimes[0] = 20;  // ends early: node 0 idles until the others end at 100
  for (uint32_t row = 1; row < 4; ++row) runtimes[row] = 100;
  runtimes[4] = 50;
  Simulation sim(s, runtimes);
  sim.Run();
  EXPECT_EQ(sim.start(4), 100);  // not delayed by the backfill
  int backfilled = 0;
  for (uint32_t row = 5; row < 55; ++row) {
    if (sim.start(row) < 100) {
      ++backfilled;
      EXPECT_EQ(sim.leader(row), 0);
      EXPECT_LE(sim.start(row) + 10, 100);
    } else {
      EXPECT_GE(sim.start(row), 150) << "row " << row;
    }
  }
  EXPECT_EQ(backfilled, 32);  // 4 at a time at 20, 30, ..., 90
  EXPECT_EQ(s.Ready() + s.Running(), 0u);
}

// Runs `shapes` (WideBehindWholeNodes) on four 4-core nodes: row 0 ends at
// 20 s, rows 1-3 at 100 s, every other task takes 90 s. The wide row 4 must
// start at 100 s, and no 90-second task may start before it has (it runs
// until 150 s).
void ExpectNoBackfillBeforeTheWideTask(const std::vector<TaskShape>& shapes) {
  Scheduler s(shapes);
  AddNodes(s, 4, 4);
  ReadyAll(s, 55);
  std::vector<double> runtimes(55, 90);
  runtimes[0] = 20;
  for (uint32_t row = 1; row < 4; ++row) runtimes[row] = 100;
  Simulation sim(s, runtimes);
  sim.Run();
  EXPECT_EQ(sim.start(4), 100);
  for (uint32_t row = 5; row < 55; ++row) EXPECT_GE(sim.start(row), 150);
}

TEST(SchedulerTest, LongTasksDoNotBackfillIntoTheReservation) {
  ExpectNoBackfillBeforeTheWideTask(WideBehindWholeNodes(90, 100));
}

TEST(SchedulerTest, ReservationStartFollowsTheTasksStillRunning) {
  // Row 0 was expected to run 200 s but ends at 20; the others end at 100 as
  // expected. The head then starts at 100, so 90-second tasks must wait.
  std::vector<TaskShape> shapes = WideBehindWholeNodes(90, 100);
  shapes[0].est_runtime = 200;
  ExpectNoBackfillBeforeTheWideTask(shapes);
}

TEST(SchedulerTest, ShortTasksDoNotBackfillWhenTheStartIsUnknown) {
  // The whole-node tasks give no runtime: the 4-node task might start any
  // moment, so even 10-second tasks must keep off the nodes it waits for.
  Scheduler s(WideBehindWholeNodes(10));
  AddNodes(s, 4, 4);
  ReadyAll(s, 55);
  EXPECT_THAT(Rows(s.Place(0)), ElementsAre(0, 1, 2, 3));
  s.Release(0, 1);
  EXPECT_THAT(s.Place(1), IsEmpty());
}

TEST(SchedulerTest, OnlyTheHeadHoldsAReservation) {
  // 6 nodes; rows 0-3 hold nodes 0-3. Row 4 (4 nodes) is the head and
  // reserves 4, 5, 0, 1. Row 5 (3 nodes) is blocked too but reserves
  // nothing, so small tasks may fill node 2 when it frees.
  std::vector<TaskShape> shapes(4, Cores(4));
  shapes.push_back(Shape(4, 1, 4));
  shapes.push_back(Shape(3, 1, 4));
  shapes.resize(20, Cores(1));
  Scheduler s(shapes);
  AddNodes(s, 6, 4);
  ReadyAll(s, 20);
  EXPECT_THAT(Rows(s.Place(0)), ElementsAre(0, 1, 2, 3));
  s.Release(2, 1);
  std::vector<Placement> p = s.Place(1);
  ASSERT_THAT(Rows(p), ElementsAre(6, 7, 8, 9));
  for (const Placement& q : p) EXPECT_EQ(q.slices[0].node, 2);
}

TEST(SchedulerTest, LosingTheReservedNodeMovesTheReservation) {
  // Rows 0 and 1 (3 cores) take nodes 0 and 1; row 3 (1 core) fills node 1.
  // The head, row 2 (4 cores), reserves node 0, the first of two equally
  // busy nodes. Node 0 is then lost: the head must wait on node 1 instead,
  // and small tasks must keep off it.
  std::vector<TaskShape> shapes = {Cores(3), Cores(3), Cores(4)};
  shapes.resize(10, Cores(1));
  Scheduler s(shapes);
  AddNodes(s, 2, 4);
  ReadyAll(s, 10);
  std::vector<Placement> p = s.Place(0);
  ASSERT_THAT(Rows(p), ElementsAre(0, 1, 3));
  ASSERT_EQ(p[2].slices[0].node, 1);
  s.RemoveNode(0);
  s.Release(1, 1);
  EXPECT_THAT(s.Place(1), IsEmpty());
  s.Release(3, 2);
  EXPECT_THAT(Rows(s.Place(2)), ElementsAre(2));
}

TEST(SchedulerTest, SingleNodeHeadKeepsItsNodeFromSmallTasks) {
  std::vector<TaskShape> shapes(4, Cores(1));
  shapes.push_back(Cores(4));
  shapes.resize(10, Cores(1));
  Scheduler s(shapes);
  s.AddNode({4, 0});
  ReadyAll(s, 10);
  EXPECT_THAT(Rows(s.Place(0)), ElementsAre(0, 1, 2, 3));
  for (uint32_t row = 0; row < 3; ++row) {
    s.Release(row, row + 1.0);
    EXPECT_THAT(s.Place(row + 1.0), IsEmpty());
  }
  s.Release(3, 4);
  EXPECT_THAT(Rows(s.Place(4)), ElementsAre(4));
}

TEST(SchedulerTest, SpareCoresOnTheReservedNodeTakeAnyTask) {
  // Node of 10: row 0 (4 cores) ends at 10, row 1 (2 cores) never says.
  // Head row 2 needs 7: at 10 there will be 8 free, so 1 core is spare.
  Scheduler s(
      {Cores(4, 10), Cores(2), Cores(7), Cores(1, 5), Cores(1), Cores(1, 15)});
  s.AddNode({10, 0});
  ReadyAll(s, 6);
  // Row 3 ends at 5, before the head starts; row 4 takes the spare core;
  // row 5 ends at 15, too late, and would take a core the head needs.
  EXPECT_THAT(Rows(s.Place(0)), ElementsAre(0, 1, 3, 4));
  s.Release(3, 5);
  EXPECT_THAT(s.Place(5), IsEmpty());
  s.Release(0, 10);
  EXPECT_THAT(Rows(s.Place(10)), ElementsAre(2));
}

TEST(SchedulerTest, FunctionHeadReservesAWorkerNotTheMastersNode) {
  // Row 0 on the master's node ends at 10, row 1 on the worker at 100. Row
  // 2, a function task, is the head: it must wait for the worker although
  // the master's node drains first, and leave that node to commands.
  std::vector<TaskShape> shapes = {Cores(4, 10), Cores(4, 100),
                                   Function(Cores(4))};
  shapes.resize(7, Cores(1));
  Scheduler s(shapes);
  s.AddNode({4, 0, kNoFunctions});
  s.AddNode({4, 0});
  ReadyAll(s, 7);
  std::vector<Placement> p = s.Place(0);
  ASSERT_THAT(Rows(p), ElementsAre(0, 1));
  EXPECT_EQ(p[0].slices[0].node, 0);
  s.Release(0, 10);
  p = s.Place(10);
  ASSERT_THAT(Rows(p), ElementsAre(3, 4, 5, 6));
  for (const Placement& q : p) EXPECT_EQ(q.slices[0].node, 0);
  s.Release(1, 100);
  p = s.Place(100);
  ASSERT_THAT(Rows(p), ElementsAre(2));
  EXPECT_EQ(p[0].slices[0].node, 1);
}

TEST(SchedulerTest, FunctionTasksDoNotBackfillOntoTheMastersNode) {
  // Nodes 0 (the master's) to 3, each held by a 100-second task; rows 0
  // and 3 end at 20. Row 4 (3 nodes) reserves nodes 0-2 and starts at 100.
  // At 20 node 3 is open and node 0 reserved but free: short function
  // tasks may fill node 3 only, short commands node 0.
  std::vector<TaskShape> shapes(4, Cores(4, 100));
  shapes.push_back(Shape(3, 1, 4, 0, 0, 50));
  shapes.resize(13, Function(Cores(1, 10)));
  shapes.resize(17, Cores(1, 10));
  Scheduler s(shapes);
  s.AddNode({4, 0, kNoFunctions});
  AddNodes(s, 3, 4);
  ReadyAll(s, 17);
  std::vector<double> runtimes(17, 10);
  runtimes[0] = runtimes[3] = 20;
  runtimes[1] = runtimes[2] = 100;
  runtimes[4] = 50;
  Simulation sim(s, runtimes);
  sim.Run();
  EXPECT_EQ(sim.start(4), 100);
  for (uint32_t row = 5; row < 13; ++row) {
    EXPECT_EQ(sim.leader(row), 3) << "row " << row;
    EXPECT_EQ(sim.start(row), row < 9 ? 20 : 30) << "row " << row;
  }
  for (uint32_t row = 13; row < 17; ++row) {
    EXPECT_EQ(sim.leader(row), 0) << "row " << row;
    EXPECT_EQ(sim.start(row), 20) << "row " << row;
  }
  EXPECT_EQ(s.Ready() + s.Running(), 0u);
}

}  // namespace
}  // namespace sortie
