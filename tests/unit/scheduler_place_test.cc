// Where Place() puts tasks (master/scheduler_place.cc): best-fit packing of
// single-node tasks, whole nodes for multi-node ones, the lowest free core
// and GPU numbers, and function tasks kept off the master's node.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "master/scheduler.h"
#include "scheduler_fixtures.h"

namespace sortie {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

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

}  // namespace
}  // namespace sortie
