// Scheduler::WhyNeverFits (master/scheduler_why.cc): the words a user reads
// when a task's shape can never run on the allocation's nodes.
#include <gtest/gtest.h>

#include <vector>

#include "master/scheduler.h"
#include "scheduler_fixtures.h"

namespace sortie {
namespace {

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

}  // namespace
}  // namespace sortie
