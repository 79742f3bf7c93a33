// The queues and node bookkeeping (master/scheduler.cc): (priority, row)
// order, retries, shapes that ask for nothing, lost nodes, and tasks that can
// never run here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "master/scheduler.h"
#include "scheduler_fixtures.h"

namespace sortie {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

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

}  // namespace
}  // namespace sortie
