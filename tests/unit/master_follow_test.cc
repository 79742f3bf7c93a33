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

// An est_runtime 200 times too short must not queue a budget's worth of
// followers (20 ms / 1 ms = 20) ahead of a higher-priority task that its
// dependency's end makes ready: until a runtime is observed, one follower
// per lane at most. Two cores: two lanes.
TEST(MasterFollowTest, UnderestimatedTasksQueueOneFollowerPerLane) {
  const int kLanes = 2;
  std::vector<TaskSpec> specs = Specs(42);  // row 0 is "A", 41 is "H"
  for (TaskSpec& spec : specs) spec.est_runtime = 0.001;
  specs[41].priority = 100;
  specs[41].after = {0};
  Harness h(
      std::move(specs), 2,
      [](const Assignment&, int) {
        return SimulatedRun{0, 0, 0.2};
      },
      kLanes);
  EXPECT_EQ(h.Run(), 0);
  EXPECT_EQ(h.state.Count(TaskState::kDone), 42u);
  const TaskStatus& a = h.state.status()[0];
  const TaskStatus& high = h.state.status()[41];
  // Lower-priority tasks started between A's end and H's start: the
  // followers queued before H was ready.
  int overtook = 0;
  for (uint32_t row = 1; row < 41; ++row) {
    const double start = h.state.status()[row].start_time;
    if (start >= a.end_time && start < high.start_time) ++overtook;
  }
  EXPECT_LE(overtook, kLanes);
  // One follower of 0.2 s, and the master's polling: not 20 of them.
  EXPECT_LT(high.start_time - a.end_time, 0.25)
      << "A ended at " << a.end_time << ", H started at " << high.start_time;
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
