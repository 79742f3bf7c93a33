// Followers seen from the master (master/master.cc): short tasks queue
// behind each other on a worker in few Assign messages, long ones never do,
// and a failed follower is retried before its dependants start.
#include <gtest/gtest.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "fakes.h"
#include "master/master.h"
#include "master_fixtures.h"

namespace sortie {
namespace {

using ::sortie::testing::SimulatedRun;

TEST(MasterFollowTest, ShortTasksQueueOnTheWorkerInFewMessages) {
  Harness h(200, 2, [](const Assignment&, int) {
    return SimulatedRun{0, 0, 1e-4};
  });
  EXPECT_EQ(h.Run(), 0);
  EXPECT_EQ(h.state.Count(TaskState::kDone), 200u);
  // One core: never two tasks at once, however many were queued.
  EXPECT_EQ(h.cluster.max_concurrent_per_rank, 1);
  size_t followers = 0;
  for (const auto& [a, rank] : h.cluster.assignments) {
    followers += a.follows >= 0 ? 1 : 0;
  }
  EXPECT_GT(followers, 150u);
  EXPECT_LT(h.cluster.assign_messages, 20);
  // Every task ran once, and in manifest order on the one core.
  ASSERT_EQ(h.cluster.assignments.size(), 200u);
  for (uint32_t i = 0; i < 200; ++i) {
    EXPECT_EQ(h.cluster.assignments[i].first.row, i);
  }
}

TEST(MasterFollowTest, LongTasksGetNoFollowers) {
  Harness h(6, 2, [](const Assignment&, int) {
    return SimulatedRun{0, 0, 1.0};
  });
  EXPECT_EQ(h.Run(), 0);
  for (const auto& [a, rank] : h.cluster.assignments) {
    EXPECT_EQ(a.follows, -1) << "row " << a.row;
  }
}

TEST(MasterFollowTest, FailedFollowerIsRetriedAndDependantsWait) {
  std::vector<TaskSpec> specs = Specs(40);
  specs[10].retries = 1;
  specs[30].after = {10};
  int failures = 0;
  Harness h(
      std::move(specs), 2,
      [&](const Assignment& a, int) {
        int code = (a.row == 10 && failures++ == 0) ? 1 : 0;
        return SimulatedRun{code, 0, 1e-4};
      },
      1);
  EXPECT_EQ(h.Run(), 0);
  EXPECT_EQ(h.state.Count(TaskState::kDone), 40u);
  EXPECT_EQ(h.state.status()[10].attempts, 2);
  EXPECT_GE(h.state.status()[30].start_time, h.state.status()[10].end_time);
}

}  // namespace
}  // namespace sortie
