// Followers (master/scheduler_follow.cc): the next ready task of a running
// task's shape queues behind it on its cores and takes them over at
// Handover, unless that would keep a task of another shape waiting.
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
