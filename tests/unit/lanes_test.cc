// Lanes: which lane a running row holds, as tasks end and followers take
// over the cores.
#include "master/lanes.h"

#include <gtest/gtest.h>

namespace sortie {
namespace {

TEST(LanesTest, TheRunningRowFindsItsLaneAndFollowersTakeOver) {
  Lanes lanes(10);
  const size_t a = lanes.Open(3, 1, TaskGroup{});
  const size_t b = lanes.Open(7, 2, TaskGroup{});
  EXPECT_NE(a, b);
  lanes.Append(a, 4);
  lanes.Append(a, 5);
  EXPECT_EQ(lanes.LaneRunning(3), static_cast<int64_t>(a));
  EXPECT_EQ(lanes.LaneRunning(7), static_cast<int64_t>(b));
  EXPECT_EQ(lanes.LaneRunning(4), -1);  // queued, not running
  EXPECT_EQ(lanes.Advance(a), 4);
  EXPECT_EQ(lanes.LaneRunning(3), -1);
  EXPECT_EQ(lanes.LaneRunning(4), static_cast<int64_t>(a));
  EXPECT_EQ(lanes.Advance(a), 5);
  EXPECT_EQ(lanes.Advance(a), -1);  // no follower: the lane closes
  EXPECT_FALSE(lanes.IsOpen(a));
  EXPECT_EQ(lanes.LaneRunning(5), -1);
  EXPECT_EQ(lanes.Open(), 1u);
}

TEST(LanesTest, RowsPastTheHintAndReusedLanesAreFound) {
  Lanes lanes;  // no hint: rows are accepted as they come
  const size_t a = lanes.Open(1000000, 1, TaskGroup{});
  EXPECT_EQ(lanes.LaneRunning(1000000), static_cast<int64_t>(a));
  EXPECT_EQ(lanes.LaneRunning(999999), -1);
  EXPECT_EQ(lanes.LaneRunning(4000000000u), -1);
  EXPECT_EQ(lanes.Advance(a), -1);
  const size_t again = lanes.Open(2, 1, TaskGroup{});
  EXPECT_EQ(again, a);  // the closed lane's id is reused
  EXPECT_EQ(lanes.LaneRunning(2), static_cast<int64_t>(a));
  EXPECT_EQ(lanes.LaneRunning(1000000), -1);
}

TEST(RuntimeEstimateTest, AnEstimateAloneBuysOneFollowerAtMost) {
  RuntimeEstimate estimate;
  EXPECT_EQ(estimate.Depth(0.02, 4096, 0), 0);      // nothing known
  EXPECT_EQ(estimate.Depth(0.02, 4096, 0.5), 0);    // estimated long
  EXPECT_EQ(estimate.Depth(0.02, 4096, 0.001), 1);  // not 20
  EXPECT_EQ(estimate.Depth(0.02, 0, 0.001), 0);     // the cap still holds
  estimate.Observe(0.001);  // observed runtimes are trusted
  EXPECT_EQ(estimate.Depth(0.02, 4096, 0.5), 20);
  EXPECT_EQ(estimate.Depth(0.02, 8, 0.5), 8);
  estimate.Observe(0.0);  // the mean moves a tenth of the way
  EXPECT_EQ(estimate.Depth(0.02, 4096, 0), 22);
}

}  // namespace
}  // namespace sortie
