#include "master/scheduler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <queue>
#include <random>
#include <set>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

namespace sortie {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr double kUnknown = -1.0;

TaskShape Shape(int32_t nodes, int32_t ranks_per_node, int32_t cores_per_rank,
                int32_t gpus_per_rank = 0, int32_t priority = 0,
                double est_runtime = kUnknown) {
  TaskShape s;
  s.nodes = nodes;
  s.ranks_per_node = ranks_per_node;
  s.cores_per_rank = cores_per_rank;
  s.gpus_per_rank = gpus_per_rank;
  s.priority = priority;
  s.est_runtime = est_runtime;
  return s;
}

TaskShape Cores(int32_t cores, double est_runtime = kUnknown) {
  return Shape(1, 1, cores, 0, 0, est_runtime);
}

// An in-process function task: never on the master's node.
TaskShape Function(TaskShape shape) {
  shape.function = true;
  return shape;
}

// The master's node: commands only.
constexpr bool kNoFunctions = false;

std::vector<uint32_t> Rows(const std::vector<Placement>& placements) {
  std::vector<uint32_t> rows;
  for (const Placement& p : placements) rows.push_back(p.row);
  return rows;
}

std::vector<uint32_t> Range(uint32_t first, uint32_t last) {
  std::vector<uint32_t> rows;
  for (uint32_t r = first; r < last; ++r) rows.push_back(r);
  return rows;
}

void AddNodes(Scheduler& s, int count, int32_t cores, int32_t gpus = 0) {
  for (int i = 0; i < count; ++i) s.AddNode({cores, gpus});
}

void ReadyAll(Scheduler& s, uint32_t rows) {
  for (uint32_t r = 0; r < rows; ++r) s.MakeReady(r);
}

// ---- Packing ----------------------------------------------------------------

TEST(SchedulerTest, PacksOneCoreTasksOntoOneNodeBeforeTheNext) {
  Scheduler s(std::vector<TaskShape>(5, Cores(1)));
  AddNodes(s, 2, 4);
  ReadyAll(s, 5);
  std::vector<Placement> p = s.Place(0);
  ASSERT_EQ(p.size(), 5u);
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(p[i].slices[0].node, 0);
    EXPECT_THAT(p[i].slices[0].cores, ElementsAre(static_cast<int32_t>(i)));
  }
  EXPECT_EQ(p[4].slices[0].node, 1);
  EXPECT_EQ(s.Running(), 5u);
  EXPECT_EQ(s.Ready(), 0u);
}

TEST(SchedulerTest, BestFitPrefersTheFullestNodeAndSparesGpuNodes) {
  Scheduler s({Cores(3), Cores(1), Cores(2), Shape(1, 1, 1, 1), Cores(2)});
  s.AddNode({4, 0});
  s.AddNode({4, 0});
  s.AddNode({4, 2});
  ReadyAll(s, 5);
  std::vector<Placement> p = s.Place(0);
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[0].slices[0].node, 0);
  EXPECT_THAT(p[0].slices[0].cores, ElementsAre(0, 1, 2));
  EXPECT_EQ(p[1].slices[0].node, 0);  // the 1 core left on node 0
  EXPECT_THAT(p[1].slices[0].cores, ElementsAre(3));
  EXPECT_EQ(p[2].slices[0].node, 1);  // not the GPU node
  EXPECT_EQ(p[3].slices[0].node, 2);
  EXPECT_THAT(p[3].slices[0].gpus, ElementsAre(0));
  EXPECT_EQ(p[4].slices[0].node, 1);  // tighter than node 2
  EXPECT_THAT(p[4].slices[0].cores, ElementsAre(2, 3));
}

TEST(SchedulerTest, GivesTheLowestFreeCoresAndGpus) {
  Scheduler s({Shape(1, 2, 1, 1), Shape(1, 1, 1, 1), Cores(3)});
  s.AddNode({8, 4});
  s.MakeReady(0);
  s.MakeReady(1);
  std::vector<Placement> p = s.Place(0);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_THAT(p[0].slices[0].cores, ElementsAre(0, 1));
  EXPECT_THAT(p[0].slices[0].gpus, ElementsAre(0, 1));
  EXPECT_THAT(p[1].slices[0].cores, ElementsAre(2));
  EXPECT_THAT(p[1].slices[0].gpus, ElementsAre(2));
  s.Release(0, 1);
  s.MakeReady(2);
  p = s.Place(1);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_THAT(p[0].slices[0].cores, ElementsAre(0, 1, 3));
  EXPECT_THAT(p[0].slices[0].gpus, IsEmpty());
}

TEST(SchedulerTest, MultiNodeTaskGetsWholeNodesThatNobodyShares) {
  std::vector<TaskShape> shapes = {Shape(2, 1, 2)};
  shapes.resize(6, Cores(1));
  Scheduler s(shapes);
  AddNodes(s, 3, 4);
  ReadyAll(s, 6);
  std::vector<Placement> p = s.Place(0);
  ASSERT_THAT(Rows(p), ElementsAre(0, 1, 2, 3, 4));
  ASSERT_EQ(p[0].slices.size(), 2u);
  EXPECT_EQ(p[0].slices[0].node, 0);
  EXPECT_EQ(p[0].slices[1].node, 1);
  EXPECT_THAT(p[0].slices[1].cores, ElementsAre(0, 1));
  for (size_t i = 1; i < p.size(); ++i) EXPECT_EQ(p[i].slices[0].node, 2);
  // Nodes 0 and 1 have 2 idle cores each, but they are held whole.
  EXPECT_THAT(s.Place(1), IsEmpty());
  s.Release(0, 2);
  p = s.Place(2);
  ASSERT_THAT(Rows(p), ElementsAre(5));
  EXPECT_NE(p[0].slices[0].node, 2);
}

TEST(SchedulerTest, MultiNodeTaskWaitsForCompletelyFreeNodes) {
  Scheduler s({Cores(1), Shape(2, 1, 1)});
  AddNodes(s, 2, 4);
  s.MakeReady(0);
  ASSERT_THAT(Rows(s.Place(0)), ElementsAre(0));
  s.MakeReady(1);
  EXPECT_THAT(s.Place(1), IsEmpty());
  s.Release(0, 2);
  EXPECT_THAT(Rows(s.Place(2)), ElementsAre(1));
}

TEST(SchedulerTest, MultiNodeSlicesListWhatWasAskedForOnEachNode) {
  Scheduler s({Shape(2, 2, 1, 1), Shape(1, 1, 1)});
  AddNodes(s, 2, 4, 2);
  ReadyAll(s, 2);
  std::vector<Placement> p = s.Place(0);
  ASSERT_THAT(Rows(p), ElementsAre(0));
  for (const NodeSlice& slice : p[0].slices) {
    EXPECT_THAT(slice.cores, ElementsAre(0, 1));
    EXPECT_THAT(slice.gpus, ElementsAre(0, 1));
  }
}

// ---- Function tasks and the master's node -----------------------------------

// The master's node comes first (node 0, as in a real run) and is made the
// best fit, so a function task would land there if nothing kept it off.

TEST(SchedulerTest, FunctionTasksAreNotPackedOntoTheMastersNode) {
  Scheduler s({Function(Cores(1)), Function(Cores(1)), Cores(1),
               Function(Cores(2)), Cores(1)});
  s.AddNode({2, 0, kNoFunctions});
  s.AddNode({8, 0});
  ReadyAll(s, 5);
  std::vector<Placement> p = s.Place(0);
  ASSERT_THAT(Rows(p), ElementsAre(0, 1, 2, 3, 4));
  EXPECT_EQ(p[0].slices[0].node, 1);  // node 0 is tighter, but the master's
  EXPECT_EQ(p[1].slices[0].node, 1);
  EXPECT_EQ(p[2].slices[0].node, 0);  // commands still use it
  EXPECT_THAT(p[2].slices[0].cores, ElementsAre(0));
  EXPECT_EQ(p[3].slices[0].node, 1);
  EXPECT_THAT(p[3].slices[0].cores, ElementsAre(2, 3));
  EXPECT_EQ(p[4].slices[0].node, 0);
  EXPECT_THAT(p[4].slices[0].cores, ElementsAre(1));
}

TEST(SchedulerTest, FunctionTaskSkipsTheMastersNodeForAGpuNode) {
  // The only CPU-only node is the master's: the function task takes the
  // GPU node although best fit prefers nodes without GPUs.
  Scheduler s({Function(Cores(1)), Cores(1)});
  s.AddNode({4, 0, kNoFunctions});
  s.AddNode({4, 2});
  ReadyAll(s, 2);
  std::vector<Placement> p = s.Place(0);
  ASSERT_THAT(Rows(p), ElementsAre(0, 1));
  EXPECT_EQ(p[0].slices[0].node, 1);
  EXPECT_EQ(p[1].slices[0].node, 0);
}

TEST(SchedulerTest, MultiNodeFunctionTaskGetsWholeWorkerNodes) {
  // Whole nodes go to the fewest cores first: the master's 4-core node.
  Scheduler s({Function(Shape(2, 1, 4)), Shape(2, 1, 4)});
  s.AddNode({4, 0, kNoFunctions});
  AddNodes(s, 3, 8);
  ReadyAll(s, 2);
  std::vector<Placement> p = s.Place(0);
  ASSERT_THAT(Rows(p), ElementsAre(0, 1));
  ASSERT_EQ(p[0].slices.size(), 2u);
  EXPECT_EQ(p[0].slices[0].node, 1);
  EXPECT_EQ(p[0].slices[1].node, 2);
  ASSERT_EQ(p[1].slices.size(), 2u);
  EXPECT_EQ(p[1].slices[0].node, 0);
  EXPECT_EQ(p[1].slices[1].node, 3);
}

TEST(SchedulerTest, MultiNodeFunctionTaskDoesNotCountTheMastersNode) {
  // Row 0 takes worker node 1. Nodes 0 (the master's) and 2 are then
  // wholly free, but only one of them can run row 1's functions: it waits,
  // reserving workers 2 and 1, and a command takes the master's node.
  Scheduler s({Function(Cores(4)), Function(Shape(2, 1, 4)), Cores(1),
               Function(Cores(1))});
  s.AddNode({4, 0, kNoFunctions});
  AddNodes(s, 2, 4);
  ReadyAll(s, 4);
  std::vector<Placement> p = s.Place(0);
  ASSERT_THAT(Rows(p), ElementsAre(0, 2));
  EXPECT_EQ(p[0].slices[0].node, 1);
  EXPECT_EQ(p[1].slices[0].node, 0);
  s.Release(0, 1);
  p = s.Place(1);
  ASSERT_THAT(Rows(p), ElementsAre(1));
  ASSERT_EQ(p[0].slices.size(), 2u);
  EXPECT_EQ(p[0].slices[0].node, 1);
  EXPECT_EQ(p[0].slices[1].node, 2);
  // Row 3 has room on node 0, but not to run a function.
  s.Release(2, 2);
  EXPECT_THAT(s.Place(2), IsEmpty());
  s.Release(1, 3);
  p = s.Place(3);
  ASSERT_THAT(Rows(p), ElementsAre(3));
  EXPECT_NE(p[0].slices[0].node, 0);  // either worker, not the tie winner
}

TEST(SchedulerTest, FunctionTaskOnlyTheMasterCouldRunBlocksNobody) {
  // A one-rank run: the function task can never start, so it must not
  // hold the master's node as the head's reservation.
  Scheduler s({Function(Cores(1)), Cores(4), Cores(4)});
  s.AddNode({4, 0, kNoFunctions});
  ReadyAll(s, 3);
  EXPECT_THAT(Rows(s.Place(0)), ElementsAre(1));
  s.Release(1, 1);
  EXPECT_THAT(Rows(s.Place(1)), ElementsAre(2));
  EXPECT_EQ(s.Ready(), 1u);
}

TEST(SchedulerTest, OnlyOneNodeMayRefuseFunctions) {
  Scheduler s({Cores(1)});
  EXPECT_EQ(s.AddNode({4, 0, kNoFunctions}), 0);
  EXPECT_THROW(s.AddNode({4, 0, kNoFunctions}), std::invalid_argument);
  EXPECT_EQ(s.AddNode({4, 0}), 1);  // the failed call added nothing
  s.RemoveNode(0);
  EXPECT_THROW(s.AddNode({4, 0, kNoFunctions}), std::invalid_argument);
}

TEST(SchedulerTest, WhyNeverFitsCountsOnlyWorkersForFunctionTasks) {
  const NodeCapacity master{4, 0, kNoFunctions};
  EXPECT_EQ(Scheduler::WhyNeverFits(Function(Cores(1)), {master}),
            "is a function task, which runs only on worker ranks; the "
            "allocation has none (start more than one rank, or use a "
            "command)");
  EXPECT_EQ(Scheduler::WhyNeverFits(Cores(1), {master}), "");
  EXPECT_EQ(Scheduler::WhyNeverFits(Function(Cores(1)), {master, {4, 0}}), "");
  EXPECT_EQ(Scheduler::WhyNeverFits(Function(Shape(2, 1, 1)), {master, {4, 0}}),
            "asks for 2 nodes; only 1 worker node can run functions");
  EXPECT_EQ(Scheduler::WhyNeverFits(Shape(2, 1, 1), {master, {4, 0}}), "");
  EXPECT_EQ(Scheduler::WhyNeverFits(Function(Shape(3, 1, 1)),
                                    {master, {4, 0}, {4, 0}}),
            "asks for 3 nodes; only 2 worker nodes can run functions");
  EXPECT_EQ(Scheduler::WhyNeverFits(Function(Shape(4, 1, 1)),
                                    {master, {4, 0}, {4, 0}}),
            "asks for 4 nodes; the allocation has 3");
  EXPECT_EQ(Scheduler::WhyNeverFits(Function(Cores(16)),
                                    {{64, 0, kNoFunctions}, {8, 0}, {8, 0}}),
            "asks for 16 cores per node (1 rank x 16 cores); worker nodes "
            "have 8");
  EXPECT_EQ(Scheduler::WhyNeverFits(Cores(16),
                                    {{64, 0, kNoFunctions}, {8, 0}, {8, 0}}),
            "");
  EXPECT_EQ(Scheduler::WhyNeverFits(Function(Shape(1, 1, 1, 1)),
                                    {{4, 2, kNoFunctions}, {4, 0}, {8, 0}}),
            "asks for 1 GPU per node (1 rank x 1 GPU); worker nodes have 0");
  EXPECT_EQ(Scheduler::WhyNeverFits(Function(Shape(1, 1, 4, 1)),
                                    {{8, 1, kNoFunctions}, {8, 0}, {2, 2}}),
            "asks for 4 cores and 1 GPU per node; no worker node has both");
  EXPECT_EQ(Scheduler::WhyNeverFits(Function(Shape(2, 1, 8)),
                                    {{8, 0, kNoFunctions}, {8, 0}, {4, 0}}),
            "asks for 2 nodes with 8 cores each; only 1 of the 2 worker nodes "
            "have that");
  EXPECT_EQ(Scheduler::WhyNeverFits(Function(Cores(1)), {}),
            "asks for 1 node; the allocation has 0");
  // Without a master's node, function tasks read as before.
  EXPECT_EQ(Scheduler::WhyNeverFits(Function(Shape(1, 3, 2)), {{4, 0}}),
            "asks for 6 cores per node (3 ranks x 2 cores); nodes have 4");
}

// The indexes themselves: `exclude` leaves out one node, nothing more.

TEST(SchedulerIndexTest, FreeNodeIndexLeavesOutTheExcludedNode) {
  FreeNodeIndex index;
  index.Insert({0, 4, 0, {0, 4}});
  index.Insert({1, 4, 2, {2, 4}});
  index.Insert({2, 6, 0, {0, 6}});
  EXPECT_EQ(index.FindPack(1, 0, -1), 0);
  EXPECT_EQ(index.FindPack(1, 0, 0), 2);   // the next in its GPU bucket
  EXPECT_EQ(index.FindPack(5, 0, 2), -1);  // node 1 has 4 cores
  EXPECT_EQ(index.FindPack(1, 0, 7), 0);   // not in the index: no effect
  EXPECT_EQ(index.CountWhole(1, 0, -1), 3);
  EXPECT_EQ(index.CountWhole(1, 0, 0), 2);
  EXPECT_EQ(index.CountWhole(5, 0, 0), 1);  // node 0 was not counted anyway
  EXPECT_EQ(index.CountWhole(1, 0, 7), 3);
  std::vector<int32_t> picked;
  index.PickWhole(1, 0, 2, 0, &picked);
  EXPECT_THAT(picked, ElementsAre(2, 1));
  // Busy nodes are not whole: nothing to subtract.
  index.Erase({0, 4, 0, {0, 4}});
  index.Insert({0, 3, 0, {0, 4}});
  EXPECT_EQ(index.CountWhole(1, 0, 0), 2);
  EXPECT_EQ(index.FindPack(3, 0, -1), 0);

  FreeNodeIndex gpu_next;
  gpu_next.Insert({0, 4, 0, {0, 4}});
  gpu_next.Insert({1, 4, 2, {2, 4}});
  EXPECT_EQ(gpu_next.FindPack(1, 0, 0), 1);  // the next GPU bucket
  EXPECT_EQ(gpu_next.FindPack(1, 0, 1), 0);
}

TEST(SchedulerIndexTest, DrainIndexLeavesOutTheExcludedNode) {
  constexpr double kIdle = -std::numeric_limits<double>::infinity();
  DrainIndex index;
  index.Insert({kIdle, 0, 0, 0, {0, 4}});
  index.Insert({10, 1, 0, 1, {0, 4}});
  index.Insert({5, 2, 0, 2, {0, 8}});
  EXPECT_THAT(index.Soonest(1, 0, 2, -1), ElementsAre(0, 2));
  EXPECT_THAT(index.Soonest(1, 0, 2, 0), ElementsAre(2, 1));
  EXPECT_THAT(index.Soonest(1, 0, 5, 2), ElementsAre(0, 1));
  EXPECT_EQ(index.CountCapable(1, 0, -1), 3);
  EXPECT_EQ(index.CountCapable(1, 0, 0), 2);
  EXPECT_EQ(index.CountCapable(5, 0, 0), 1);  // node 0 was not counted anyway
  EXPECT_EQ(index.CountCapable(1, 0, 9), 3);  // never in the index
  index.Erase({kIdle, 0, 0, 0, {0, 4}});      // a removed node
  EXPECT_EQ(index.CountCapable(1, 0, 0), 2);
  EXPECT_EQ(index.CountCapable(1, 0, -1), 2);
}

// ---- Never fits -------------------------------------------------------------

TEST(SchedulerTest, WhyNeverFitsIsEmptyWhenTheShapeFits) {
  EXPECT_EQ(Scheduler::WhyNeverFits(Shape(2, 2, 2, 1), {{4, 2}, {8, 2}}), "");
  EXPECT_EQ(Scheduler::WhyNeverFits(Cores(64), {{64, 0}}), "");
}

TEST(SchedulerTest, WhyNeverFitsNamesTheNumbers) {
  const std::vector<NodeCapacity> four(4, {4, 0});
  EXPECT_EQ(Scheduler::WhyNeverFits(Shape(8, 1, 1), four),
            "asks for 8 nodes; the allocation has 4");
  EXPECT_EQ(Scheduler::WhyNeverFits(Shape(1, 3, 2), four),
            "asks for 6 cores per node (3 ranks x 2 cores); nodes have 4");
  EXPECT_EQ(Scheduler::WhyNeverFits(Cores(16), {{4, 0}, {8, 0}}),
            "asks for 16 cores per node (1 rank x 16 cores); nodes have at "
            "most 8");
  EXPECT_EQ(Scheduler::WhyNeverFits(Shape(1, 2, 1, 2), {{8, 1}}),
            "asks for 4 GPUs per node (2 ranks x 2 GPUs); nodes have 1");
  EXPECT_EQ(Scheduler::WhyNeverFits(Shape(1, 1, 4, 1), {{8, 0}, {2, 2}}),
            "asks for 4 cores and 1 GPU per node; no node has both");
  EXPECT_EQ(Scheduler::WhyNeverFits(Shape(3, 1, 4), {{8, 0}, {8, 0}, {2, 0}}),
            "asks for 3 nodes with 4 cores each; only 2 of the 3 nodes have "
            "that");
  EXPECT_EQ(Scheduler::WhyNeverFits(Cores(1), {}),
            "asks for 1 node; the allocation has 0");
}

TEST(SchedulerTest, WhyNeverFitsRejectsEmptyRequests) {
  EXPECT_EQ(Scheduler::WhyNeverFits(Shape(0, 1, 1), {{4, 0}}),
            "asks for 0 nodes; a task needs at least 1");
  EXPECT_EQ(Scheduler::WhyNeverFits(Shape(1, 1, 0), {{4, 0}}),
            "asks for 0 cores per rank; each rank needs at least 1");
  EXPECT_EQ(Scheduler::WhyNeverFits(Shape(1, 1, 1, -2), {{4, 0}}),
            "asks for -2 GPUs per rank; the count cannot be negative");
}

// ---- Order, retries, nodes --------------------------------------------------

TEST(SchedulerTest, HigherPriorityFirstThenRowOrder) {
  Scheduler s({Shape(1, 1, 1, 0, 0), Shape(1, 1, 1, 0, 5), Shape(1, 1, 1, 0, 5),
               Shape(1, 1, 1, 0, 1)});
  s.AddNode({1, 0});
  ReadyAll(s, 4);
  std::vector<uint32_t> order;
  for (int step = 0; step < 4; ++step) {
    std::vector<Placement> p = s.Place(step);
    ASSERT_EQ(p.size(), 1u);
    order.push_back(p[0].row);
    s.Release(p[0].row, step);
  }
  EXPECT_THAT(order, ElementsAre(1, 2, 3, 0));
}

TEST(SchedulerTest, PriorityOrdersTasksOfDifferentShapes) {
  Scheduler s({Cores(4), Shape(1, 1, 2, 0, 1)});
  s.AddNode({4, 0});
  ReadyAll(s, 2);
  EXPECT_THAT(Rows(s.Place(0)), ElementsAre(1));
}

TEST(SchedulerTest, RetryKeepsTheTasksPlaceInOrder) {
  Scheduler s(std::vector<TaskShape>(3, Cores(1)));
  s.AddNode({1, 0});
  ReadyAll(s, 3);
  ASSERT_THAT(Rows(s.Place(0)), ElementsAre(0));
  EXPECT_THROW(s.MakeReady(0), std::logic_error);  // running
  EXPECT_THROW(s.MakeReady(1), std::logic_error);  // queued
  s.Release(0, 1);
  EXPECT_THROW(s.Release(0, 1), std::logic_error);
  s.MakeReady(0);
  EXPECT_THAT(Rows(s.Place(1)), ElementsAre(0));
}

TEST(SchedulerTest, RejectsShapesThatAskForNothing) {
  Scheduler s({Shape(1, 1, 0), Shape(0, 1, 1), Shape(1, 1, 1, -1)});
  EXPECT_THROW(s.MakeReady(0), std::invalid_argument);
  EXPECT_THROW(s.MakeReady(1), std::invalid_argument);
  EXPECT_THROW(s.MakeReady(2), std::invalid_argument);
  EXPECT_THROW(s.MakeReady(3), std::out_of_range);
  EXPECT_EQ(s.Ready(), 0u);
}

TEST(SchedulerTest, RemovedNodeGetsNothingMore) {
  Scheduler s(std::vector<TaskShape>(3, Cores(1)));
  AddNodes(s, 2, 1);
  ReadyAll(s, 3);
  std::vector<Placement> p = s.Place(0);
  ASSERT_THAT(Rows(p), ElementsAre(0, 1));
  ASSERT_EQ(p[0].slices[0].node, 0);
  s.RemoveNode(0);
  s.Release(0, 1);
  EXPECT_THAT(s.Place(1), IsEmpty());
  s.Release(1, 2);
  p = s.Place(2);
  ASSERT_THAT(Rows(p), ElementsAre(2));
  EXPECT_EQ(p[0].slices[0].node, 1);
}

TEST(SchedulerTest, TaskThatCannotRunHereBlocksNobody) {
  Scheduler s({Shape(3, 1, 1), Shape(2, 1, 1), Cores(1), Cores(1)});
  AddNodes(s, 2, 4);
  s.MakeReady(0);  // 3 nodes: never
  s.MakeReady(2);
  EXPECT_THAT(Rows(s.Place(0)), ElementsAre(2));
  s.RemoveNode(1);
  s.MakeReady(1);  // 2 nodes: not any more
  s.MakeReady(3);
  EXPECT_THAT(Rows(s.Place(1)), ElementsAre(3));
  EXPECT_EQ(s.Ready(), 2u);
}

// ---- Reservation and backfill -----------------------------------------------

// Drives a scheduler with a fake clock: each placed task runs for its
// `runtimes` entry and is released when that time comes.
class Simulation {
 public:
  Simulation(Scheduler& scheduler, std::vector<double> runtimes)
      : s_(scheduler),
        runtimes_(std::move(runtimes)),
        starts_(runtimes_.size(), -1.0),
        leaders_(runtimes_.size(), -1) {}

  /// Places at the current time, then jumps to the next end and releases
  /// every task ending then. False when nothing is left running.
  bool Step() {
    ++places_;
    for (const Placement& p : s_.Place(now_)) {
      starts_[p.row] = now_;
      leaders_[p.row] = p.slices[0].node;
      ends_.emplace(now_ + runtimes_[p.row], p.row);
    }
    if (ends_.empty()) return false;
    now_ = ends_.top().first;
    while (!ends_.empty() && ends_.top().first == now_) {
      s_.Release(ends_.top().second, now_);
      ends_.pop();
    }
    return true;
  }
  void Run() {
    while (Step()) {
    }
  }
  double start(uint32_t row) const { return starts_[row]; }
  int32_t leader(uint32_t row) const { return leaders_[row]; }
  long places() const { return places_; }
  double now() const { return now_; }

 private:
  using End = std::pair<double, uint32_t>;
  Scheduler& s_;
  std::vector<double> runtimes_;
  std::vector<double> starts_;
  std::vector<int32_t> leaders_;  ///< slices[0].node
  std::priority_queue<End, std::vector<End>, std::greater<End>> ends_;
  double now_ = 0;
  long places_ = 0;
};

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

TEST(SchedulerTest, LongTasksDoNotBackfillIntoTheReservation) {
  Scheduler s(WideBehindWholeNodes(90, 100));
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

TEST(SchedulerTest, ReservationStartFollowsTheTasksStillRunning) {
  // Row 0 was expected to run 200 s but ends at 20; the others end at 100 as
  // expected. The head then starts at 100, so 90-second tasks must wait.
  std::vector<TaskShape> shapes = WideBehindWholeNodes(90, 100);
  shapes[0].est_runtime = 200;
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

// ---- Properties on random workloads -----------------------------------------

// What the test itself believes is in use, to catch double allocation.
class Occupancy {
 public:
  explicit Occupancy(std::vector<NodeCapacity> nodes)
      : capacity_(std::move(nodes)), use_(capacity_.size()) {}

  void Take(const Placement& p, const TaskShape& shape) {
    ASSERT_EQ(p.slices.size(), static_cast<size_t>(shape.nodes));
    for (size_t i = 0; i < p.slices.size(); ++i) {
      const NodeSlice& slice = p.slices[i];
      if (i > 0) {
        ASSERT_LT(p.slices[i - 1].node, slice.node);
      }
      ASSERT_GE(slice.node, 0);
      ASSERT_LT(static_cast<size_t>(slice.node), use_.size());
      const NodeCapacity& cap = capacity_[static_cast<size_t>(slice.node)];
      Use& use = use_[static_cast<size_t>(slice.node)];
      ASSERT_EQ(slice.cores.size(), static_cast<size_t>(shape.ranks_per_node *
                                                        shape.cores_per_rank));
      ASSERT_EQ(slice.gpus.size(), static_cast<size_t>(shape.ranks_per_node *
                                                       shape.gpus_per_rank));
      ASSERT_FALSE(use.exclusive) << "node " << slice.node << " is held whole";
      ASSERT_TRUE(cap.runs_functions || !shape.function)
          << "function task " << p.row << " on node " << slice.node
          << ", which runs no functions";
      if (shape.nodes > 1) {
        ASSERT_EQ(use.tasks, 0) << "multi-node task on a busy node";
        use.exclusive = true;
      }
      ++use.tasks;
      if (!cap.runs_functions) ++on_no_function_nodes_;
      Claim(use.cores, slice.cores, cap.cores);
      Claim(use.gpus, slice.gpus, cap.gpus);
    }
  }

  void Free(const Placement& p) {
    for (const NodeSlice& slice : p.slices) {
      Use& use = use_[static_cast<size_t>(slice.node)];
      for (int32_t c : slice.cores) use.cores.erase(c);
      for (int32_t g : slice.gpus) use.gpus.erase(g);
      use.exclusive = false;
      --use.tasks;
    }
  }

  /// Slices placed on nodes that run no functions (commands only).
  int on_no_function_nodes() const { return on_no_function_nodes_; }

 private:
  struct Use {
    std::set<int32_t> cores, gpus;
    int tasks = 0;
    bool exclusive = false;
  };
  static void Claim(std::set<int32_t>& used, const std::vector<int32_t>& ids,
                    int32_t capacity) {
    ASSERT_TRUE(std::is_sorted(ids.begin(), ids.end()));
    for (int32_t id : ids) {
      ASSERT_GE(id, 0);
      ASSERT_LT(id, capacity);
      ASSERT_TRUE(used.insert(id).second) << "index " << id << " taken twice";
    }
  }
  std::vector<NodeCapacity> capacity_;
  std::vector<Use> use_;
  int on_no_function_nodes_ = 0;
};

struct RandomWorkload {
  std::vector<NodeCapacity> nodes;
  std::vector<TaskShape> shapes;
};

RandomWorkload MakeRandomWorkload(std::mt19937& rng) {
  auto pick = [&rng](int lo, int hi) {
    return std::uniform_int_distribution<int32_t>(lo, hi)(rng);
  };
  RandomWorkload w;
  w.nodes.resize(static_cast<size_t>(pick(3, 10)));
  for (NodeCapacity& n : w.nodes) n = {pick(1, 8), pick(0, 3) == 0 ? 2 : 0};
  // Usually a master's node first, as in a real run; often the tightest
  // fit or the first to drain, so a function task would land on it if
  // nothing kept it off.
  if (pick(0, 3) != 0) w.nodes.front().runs_functions = kNoFunctions;
  while (w.shapes.size() < 300) {
    TaskShape s = Shape(pick(0, 4) == 0 ? pick(2, 3) : 1, pick(1, 2),
                        pick(1, 4), pick(0, 4) == 0 ? 1 : 0, pick(0, 3),
                        pick(0, 1) == 0 ? kUnknown : pick(1, 20));
    s.function = pick(0, 2) == 0;
    if (Scheduler::WhyNeverFits(s, w.nodes).empty()) w.shapes.push_back(s);
  }
  return w;
}

// Checks one placement from outside: no double allocation, and tasks of one
// shape start in (priority, row) order (first runs only: retries go back).
class RandomRunChecker {
 public:
  explicit RandomRunChecker(const RandomWorkload& w)
      : w_(w), occupancy_(w.nodes) {}

  void Started(const Placement& p) {
    const TaskShape& t = w_.shapes[p.row];
    ASSERT_NO_FATAL_FAILURE(occupancy_.Take(p, t));
    if (!started_.insert(p.row).second) return;  // a retry
    auto key = std::make_tuple(t.nodes, t.ranks_per_node, t.cores_per_rank,
                               t.gpus_per_rank, t.function);
    if (auto it = last_.find(key); it != last_.end()) {
      const TaskShape& prev = w_.shapes[it->second];
      ASSERT_TRUE(prev.priority > t.priority ||
                  (prev.priority == t.priority && it->second < p.row))
          << "row " << p.row << " overtook row " << it->second;
    }
    last_[key] = p.row;
  }
  void Ended(const Placement& p) { occupancy_.Free(p); }
  size_t started() const { return started_.size(); }
  int on_no_function_nodes() const { return occupancy_.on_no_function_nodes(); }

 private:
  const RandomWorkload& w_;
  Occupancy occupancy_;
  std::map<std::tuple<int32_t, int32_t, int32_t, int32_t, bool>, uint32_t>
      last_;
  std::set<uint32_t> started_;
};

// Adds to `on_no_function_nodes` how many slices went to the node that runs
// no functions.
void CheckRandomRun(uint32_t seed, int* on_no_function_nodes) {
  std::mt19937 rng(seed);
  RandomWorkload w = MakeRandomWorkload(rng);
  Scheduler s(w.shapes);
  for (const NodeCapacity& n : w.nodes) s.AddNode(n);
  ReadyAll(s, static_cast<uint32_t>(w.shapes.size()));
  RandomRunChecker checker(w);
  std::vector<Placement> running;
  std::vector<bool> retried(w.shapes.size());
  double now = 0;
  for (int step = 0; step < 100000 && s.Ready() + running.size() > 0; ++step) {
    for (Placement& p : s.Place(now)) {
      ASSERT_NO_FATAL_FAILURE(checker.Started(p));
      running.push_back(std::move(p));
    }
    ASSERT_EQ(s.Running(), running.size());
    ASSERT_FALSE(running.empty()) << "queued tasks but nothing runs";
    std::shuffle(running.begin(), running.end(), rng);
    const size_t ending = 1 + rng() % (running.size() / 2 + 1);
    for (size_t i = 0; i < ending && !running.empty(); ++i) {
      const uint32_t row = running.back().row;
      checker.Ended(running.back());
      s.Release(row, now);
      running.pop_back();
      if (!retried[row] && rng() % 8 == 0) {  // failed: run it again
        retried[row] = true;
        s.MakeReady(row);
      }
    }
    now += std::uniform_real_distribution<double>(0, 5)(rng);
  }
  EXPECT_EQ(checker.started(), w.shapes.size());
  EXPECT_EQ(s.Ready() + s.Running(), 0u);
  *on_no_function_nodes += checker.on_no_function_nodes();
}

TEST(SchedulerTest, RandomWorkloadsNeverOversubscribeAndAllRun) {
  int on_no_function_nodes = 0;
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE(seed);
    ASSERT_NO_FATAL_FAILURE(CheckRandomRun(seed, &on_no_function_nodes));
  }
  // Commands did use the master's node: it was not simply left out.
  EXPECT_GT(on_no_function_nodes, 0);
}

// ---- Cost at scale ----------------------------------------------------------

// Sanitizers check memory, not speed, and slow this down 3-4x: they get a
// tenth of the workload.
#if defined(SORTIE_SANITIZED) || defined(__SANITIZE_ADDRESS__)
constexpr int kScaleDown = 10;
#else
constexpr int kScaleDown = 1;
#endif

// 10,000 nodes of 64 cores, 1,000,000 one-core tasks and 300 wide ones
// (2 to 128 whole nodes, or one whole node), through a fake clock; prints
// the wall time.
void RunAtScale(bool known_runtimes) {
  constexpr int kNodes = 10000 / kScaleDown;
  constexpr uint32_t kSmall = 1000000 / kScaleDown, kWide = 300 / kScaleDown;
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> small_runtime(10, 600);
  std::uniform_real_distribution<double> wide_runtime(300, 1200);
  std::vector<TaskShape> shapes;
  std::vector<double> runtimes;
  const int32_t widths[] = {1, 2, 8, 32, 128};
  for (uint32_t row = 0; row < kSmall + kWide; ++row) {
    const bool wide = row % ((kSmall + kWide) / kWide) == 1;
    // Real-valued runtimes: nearly every release is its own Place().
    const double runtime = wide ? wide_runtime(rng) : small_runtime(rng);
    runtimes.push_back(runtime);
    const double est = known_runtimes ? runtime : kUnknown;
    shapes.push_back(wide ? Shape(widths[rng() % 5], 1, 64, 0, 0, est)
                          : Cores(1, est));
  }
  const auto started = std::chrono::steady_clock::now();
  Scheduler s(shapes);
  AddNodes(s, kNodes, 64);
  ReadyAll(s, static_cast<uint32_t>(shapes.size()));
  Simulation sim(s, runtimes);
  sim.Run();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
          .count();
  double last_small = 0, last_wide = 0;
  for (uint32_t row = 0; row < shapes.size(); ++row) {
    ASSERT_GE(sim.start(row), 0) << "row " << row << " never ran";
    double& last = shapes[row].cores_per_rank == 1 ? last_small : last_wide;
    last = std::max(last, sim.start(row));
  }
  // Busy fraction while small tasks were waiting: packing and backfill
  // should leave almost no core idle although wide heads drain nodes.
  double busy = 0;
  for (uint32_t row = 0; row < shapes.size(); ++row) {
    const double start = std::min(sim.start(row), last_small);
    const double end = std::min(start + runtimes[row], last_small);
    busy += (end - start) * shapes[row].nodes * shapes[row].cores_per_rank;
  }
  const double utilization = busy / (kNodes * 64.0 * last_small);
  std::printf(
      "[ scale    ] %s runtimes: %d nodes x 64 cores, %u tasks (%u wide): "
      "%.2f s wall, %ld Place() calls, %.0f tasks/s, %.2f us per Place(); "
      "simulated: %.1f%% of cores busy until the last small task started "
      "(%.0f s), last wide start %.0f s, all done %.0f s\n",
      known_runtimes ? "known" : "unknown", kNodes, kSmall + kWide, kWide,
      seconds, sim.places(), (kSmall + kWide) / seconds,
      1e6 * seconds / static_cast<double>(sim.places()), 100 * utilization,
      last_small, last_wide, sim.now());
  EXPECT_EQ(s.Ready() + s.Running(), 0u);
  EXPECT_LT(seconds, 30.0);
  EXPECT_GT(utilization, 0.9);
}

TEST(SchedulerTest, MillionTasksOnTenThousandNodesKnownRuntimes) {
  RunAtScale(true);
}

TEST(SchedulerTest, MillionTasksOnTenThousandNodesUnknownRuntimes) {
  RunAtScale(false);
}

TEST(SchedulerFollowTest, NextTaskOfTheSameShapeFollowsAndTakesOverTheCores) {
  Scheduler s({Cores(1), Cores(1), Cores(1)});
  s.AddNode({1, 0});
  for (uint32_t row = 0; row < 3; ++row) s.MakeReady(row);
  EXPECT_THAT(Rows(s.Place(0)), ElementsAre(0u));
  ASSERT_EQ(s.FollowerFor(0), 1);
  s.Follow(1);
  EXPECT_EQ(s.Ready(), 1u);
  EXPECT_EQ(s.FollowerFor(0), 2);  // queue deeper behind the same task
  s.Handover(0, 1, 1.0);
  EXPECT_EQ(s.Running(), 1u);
  EXPECT_THAT(s.Place(1.0), IsEmpty());  // the core is still held, by row 1
  s.Release(1, 2.0);
  EXPECT_THAT(Rows(s.Place(2.0)), ElementsAre(2u));
}

TEST(SchedulerFollowTest, NoFollowerWhenAnotherShapeWaitsForCores) {
  // Row 1 needs both cores: it holds the reservation, and queueing row 2
  // behind row 0 would keep it waiting longer.
  Scheduler s({Cores(1), Cores(2), Cores(1)});
  s.AddNode({2, 0});
  for (uint32_t row = 0; row < 3; ++row) s.MakeReady(row);
  EXPECT_THAT(Rows(s.Place(0)), ElementsAre(0u));
  EXPECT_EQ(s.FollowerFor(0), -1);
}

TEST(SchedulerFollowTest, HigherPriorityTaskOfAnotherShapeBlocksFollowing) {
  Scheduler s({Cores(1), Cores(1), Shape(1, 1, 2, 0, 5)});
  s.AddNode({1, 0});
  s.MakeReady(0);
  EXPECT_THAT(Rows(s.Place(0)), ElementsAre(0u));
  s.MakeReady(1);
  s.MakeReady(2);
  EXPECT_EQ(s.FollowerFor(0), -1);
}

TEST(SchedulerFollowTest, MultiNodeTasksGetNoFollowers) {
  Scheduler s({Shape(2, 1, 1), Shape(2, 1, 1)});
  s.AddNode({1, 0});
  s.AddNode({1, 0});
  s.MakeReady(0);
  s.MakeReady(1);
  EXPECT_THAT(Rows(s.Place(0)), ElementsAre(0u));
  EXPECT_EQ(s.FollowerFor(0), -1);
}

TEST(SchedulerFollowTest, HandoverMovesTheNodesDrainTimeForBackfill) {
  // Three 2-core nodes. Node 0 runs row 0 (10 s) with row 1 (100 s) behind
  // it and has a core free; nodes 1 and 2 are full until 50 and 60. After
  // the handover at 10 s node 0 drains at 110, so the two-node row 4
  // reserves nodes 1 and 2 (from 60), and row 5 (200 s) may use node 0's
  // free core. Had node 0 kept its old place among the drain times, row 4
  // would reserve it and row 5 could go nowhere.
  Scheduler s({Cores(1, 10), Cores(1, 100), Cores(2, 50), Cores(2, 60),
               Shape(2, 1, 1, 0, 0, 20), Cores(1, 200)});
  s.AddNode({2, 0});
  s.MakeReady(0);
  EXPECT_THAT(Rows(s.Place(0)), ElementsAre(0u));
  s.MakeReady(1);
  ASSERT_EQ(s.FollowerFor(0), 1);
  s.Follow(1);
  s.AddNode({2, 0});
  s.MakeReady(2);
  EXPECT_THAT(Rows(s.Place(0)), ElementsAre(2u));
  s.AddNode({2, 0});
  s.MakeReady(3);
  EXPECT_THAT(Rows(s.Place(0)), ElementsAre(3u));
  s.Handover(0, 1, 10);
  s.MakeReady(4);
  s.MakeReady(5);
  const std::vector<Placement> placed = s.Place(10);
  ASSERT_THAT(Rows(placed), ElementsAre(5u));
  EXPECT_EQ(placed[0].slices[0].node, 0);
}

TEST(SchedulerFollowTest, HandoverNeedsARunningTaskAndItsFollower) {
  Scheduler s({Cores(1), Cores(1), Cores(1), Cores(1)});
  s.AddNode({1, 0});
  for (uint32_t row = 0; row < 4; ++row) s.MakeReady(row);
  EXPECT_THAT(Rows(s.Place(0)), ElementsAre(0u));
  EXPECT_THROW(s.Follow(2), std::logic_error);          // row 1 comes first
  EXPECT_THROW(s.Follow(0), std::logic_error);          // running
  EXPECT_THROW(s.Handover(0, 2, 0), std::logic_error);  // 2 not following
  EXPECT_THROW(s.Handover(1, 0, 0), std::logic_error);  // 1 not running
  s.Follow(1);
  EXPECT_THROW(s.Release(1, 0), std::logic_error);  // following, not running
  s.Handover(0, 1, 0);
  EXPECT_THROW(s.MakeReady(1), std::logic_error);  // running now
  s.MakeReady(0);  // row 0 is free to run again (a retry)
  EXPECT_EQ(s.Ready(), 3u);
}

}  // namespace
}  // namespace sortie
