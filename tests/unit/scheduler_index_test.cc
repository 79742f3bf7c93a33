// The node indexes behind the scheduler (master/scheduler_index.h), on their
// own.
#include "master/scheduler_index.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

namespace sortie {
namespace {

using ::testing::ElementsAre;

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

}  // namespace
}  // namespace sortie
