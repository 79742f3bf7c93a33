// The scheduler's cost at scale: a million tasks on ten thousand nodes, in
// wall time, and how busy packing and backfill keep the cores.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "master/scheduler.h"
#include "scheduler_fixtures.h"

namespace sortie {
namespace {

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

}  // namespace
}  // namespace sortie
