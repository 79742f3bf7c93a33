#include "master/simulate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "manifest_parse.h"

namespace sortie {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A manifest from JSON Lines text; the test fails if it does not parse.
Manifest Load(const std::string& text) {
  testing::Parsed parsed = testing::Parse(text);
  EXPECT_TRUE(parsed.ok) << ::testing::PrintToString(parsed.errors);
  return parsed.manifest;
}

// `count` lines of the same task, with ids t0, t1, ...
std::string Repeat(int count, const std::string& fields) {
  std::string text;
  for (int i = 0; i < count; ++i) {
    text += "{\"id\": \"t" + std::to_string(i) + "\", \"command\": \"true\", " +
            fields + "}\n";
  }
  return text;
}

SimulateOptions On(int32_t nodes, int32_t cores = 1, int32_t gpus = 0) {
  SimulateOptions options;
  options.machine = SimMachine{nodes, cores, gpus};
  return options;
}

std::vector<std::string> Errors(const Manifest& manifest,
                                const SimulateOptions& options) {
  std::vector<std::string> out;
  for (const ManifestError& e : CheckSimulatable(manifest, options)) {
    out.push_back(e.ToString());
  }
  return out;
}

TEST(SimulateTest, FourTenSecondTasksOnTwoNodesTakeTwentySeconds) {
  Manifest m = Load(Repeat(4, "\"est_runtime\": 10"));
  SimulateResult r = Simulate(m.tasks, On(2));
  EXPECT_EQ(r.tasks, 4u);
  EXPECT_EQ(r.done, 4u);
  EXPECT_EQ(r.attempts, 4u);
  EXPECT_DOUBLE_EQ(r.makespan, 20);
  EXPECT_DOUBLE_EQ(r.node_seconds, 40);
  EXPECT_DOUBLE_EQ(r.lower_bound, 20);
  EXPECT_DOUBLE_EQ(r.utilization, 1.0);
  EXPECT_DOUBLE_EQ(r.ratio, 1.0);
}

TEST(SimulateTest, PackedTasksCountTheirShareOfANode) {
  // Eight 1-core tasks on one 4-core node: two waves of four.
  Manifest m = Load(Repeat(8, "\"est_runtime\": 10"));
  SimulateResult r = Simulate(m.tasks, On(1, 4));
  EXPECT_DOUBLE_EQ(r.makespan, 20);
  EXPECT_DOUBLE_EQ(r.node_seconds, 20);  // 8 x 10 s x 1/4 node
  EXPECT_DOUBLE_EQ(r.utilization, 1.0);
}

TEST(SimulateTest, TwoNodeTaskWaitsForBothNodes) {
  // Row 0 holds one node for 10 s; row 1 needs both, so starts at 10.
  Manifest m = Load(
      "{\"command\": \"a\", \"est_runtime\": 10}\n"
      "{\"command\": \"b\", \"nodes\": 2, \"est_runtime\": 10}\n");
  SimulateResult r = Simulate(m.tasks, On(2));
  EXPECT_DOUBLE_EQ(r.makespan, 20);
  EXPECT_DOUBLE_EQ(r.node_seconds, 30);
  EXPECT_DOUBLE_EQ(r.lower_bound, 15);  // 30 node-seconds / 2 nodes
  EXPECT_DOUBLE_EQ(r.utilization, 0.75);
  EXPECT_NEAR(r.ratio, 20.0 / 15.0, 1e-12);
}

// Row 0 runs 100 s on one node; row 1 (both nodes) reserves them for 100 s.
// A later task ending by then backfills the idle node; a longer one waits.
TEST(SimulateTest, ShortTaskBackfillsBeforeTheWideHead) {
  const std::string head =
      "{\"command\": \"a\", \"est_runtime\": 100}\n"
      "{\"command\": \"wide\", \"nodes\": 2, \"est_runtime\": 10}\n";
  Manifest fits = Load(head + "{\"command\": \"c\", \"est_runtime\": 50}\n" +
                       "{\"command\": \"d\", \"est_runtime\": 50}\n");
  EXPECT_DOUBLE_EQ(Simulate(fits.tasks, On(2)).makespan, 110);
  // d (60 s) would end at 110 > 100: it runs after the wide task.
  Manifest late = Load(head + "{\"command\": \"c\", \"est_runtime\": 50}\n" +
                       "{\"command\": \"d\", \"est_runtime\": 60}\n");
  EXPECT_DOUBLE_EQ(Simulate(late.tasks, On(2)).makespan, 170);
}

TEST(SimulateTest, DependantsStartWhenTheirPrerequisitesEnd) {
  Manifest m = Load(
      "{\"id\": \"b\", \"command\": \"b\", \"est_runtime\": 5, "
      "\"after\": [\"a\"]}\n"
      "{\"id\": \"a\", \"command\": \"a\", \"est_runtime\": 10}\n"
      "{\"id\": \"c\", \"command\": \"c\", \"est_runtime\": 1}\n");
  SimulateResult r = Simulate(m.tasks, On(2));
  EXPECT_DOUBLE_EQ(r.makespan, 15);  // a 0-10, then b 10-15; c alongside
  EXPECT_DOUBLE_EQ(r.critical_path, 15);
  EXPECT_DOUBLE_EQ(r.longest_task, 10);
  EXPECT_DOUBLE_EQ(r.lower_bound, 15);  // the chain, not 16 / 2
  EXPECT_EQ(r.done, 3u);
}

TEST(SimulateTest, MissingEstimateUsesTheDefaultRuntime) {
  Manifest m = Load(Repeat(3, "\"priority\": 1"));
  SimulateOptions options = On(1);
  options.default_runtime = 7;
  EXPECT_THAT(Errors(m, options), IsEmpty());
  EXPECT_DOUBLE_EQ(Simulate(m.tasks, options).makespan, 21);
}

TEST(SimulateTest, MissingEstimateWithoutDefaultIsAnErrorAtItsLine) {
  Manifest m = Load(
      "{\"id\": \"ok\", \"command\": \"a\", \"est_runtime\": 1}\n"
      "# a comment\n"
      "{\"id\": \"bare\", \"command\": \"b\"}\n");
  EXPECT_THAT(Errors(m, On(1)),
              ElementsAre("m.jsonl:3: task \"bare\" has no est_runtime; give "
                          "one, or --default-runtime"));
  EXPECT_THROW(Simulate(m.tasks, On(1)), std::invalid_argument);
}

TEST(SimulateTest, TasksTooBigForTheMachineAreErrorsAtTheirLines) {
  Manifest m = Load(
      "{\"id\": \"wide\", \"command\": \"a\", \"nodes\": 3, "
      "\"est_runtime\": 1}\n"
      "{\"id\": \"fat\", \"command\": \"b\", \"ranks_per_node\": 4, "
      "\"est_runtime\": 1}\n"
      "{\"id\": \"gpu\", \"command\": \"c\", \"gpus_per_rank\": 1, "
      "\"est_runtime\": 1}\n");
  EXPECT_THAT(
      Errors(m, On(2, 2)),
      ElementsAre("m.jsonl:1: task \"wide\" asks for 3 nodes; the allocation "
                  "has 2",
                  "m.jsonl:2: task \"fat\" asks for 4 cores per node (4 ranks "
                  "x 1 core); nodes have 2",
                  "m.jsonl:3: task \"gpu\" asks for 1 GPU per node (1 rank x 1 "
                  "GPU); nodes have 0"));
}

// Node 0 stands for the master's node: function tasks never run there.
TEST(SimulateTest, FunctionTasksStayOffTheMastersNode) {
  Manifest m = Load(
      "{\"function\": \"sortie:sleep\", \"args\": {\"seconds\": 10}, "
      "\"est_runtime\": 10}\n"
      "{\"function\": \"sortie:sleep\", \"args\": {\"seconds\": 10}, "
      "\"est_runtime\": 10}\n");
  EXPECT_DOUBLE_EQ(Simulate(m.tasks, On(2)).makespan, 20);
  EXPECT_THAT(Errors(m, On(1)), ::testing::SizeIs(2));
}

TEST(SimulateTest, TimeoutCapsEveryAttemptAndSkipsDependants) {
  Manifest m = Load(
      "{\"id\": \"slow\", \"command\": \"a\", \"est_runtime\": 100, "
      "\"timeout\": 10, \"retries\": 2}\n"
      "{\"id\": \"next\", \"command\": \"b\", \"est_runtime\": 5, "
      "\"after\": [\"slow\"]}\n"
      "{\"id\": \"last\", \"command\": \"c\", \"est_runtime\": 5, "
      "\"after\": [\"next\"]}\n");
  SimulateResult r = Simulate(m.tasks, On(1));
  EXPECT_EQ(r.attempts, 3u);
  EXPECT_EQ(r.timed_out, 1u);
  EXPECT_EQ(r.skipped, 2u);
  EXPECT_EQ(r.done, 0u);
  EXPECT_DOUBLE_EQ(r.makespan, 30);
  EXPECT_DOUBLE_EQ(r.longest_task, 30);
}

TEST(SimulateTest, GpuSharesCanSetTheLowerBound) {
  // Four 1-core, 1-GPU tasks on one node of 8 cores and 2 GPUs.
  Manifest m = Load(Repeat(4, "\"gpus_per_rank\": 1, \"est_runtime\": 10"));
  SimulateResult r = Simulate(m.tasks, On(1, 8, 2));
  EXPECT_DOUBLE_EQ(r.makespan, 20);
  EXPECT_DOUBLE_EQ(r.node_seconds, 5);  // 4 x 10 s x 1/8
  EXPECT_DOUBLE_EQ(r.gpu_node_seconds, 20);
  EXPECT_DOUBLE_EQ(r.lower_bound, 20);
}

TEST(SimulateTest, EmptyManifestTakesNoTime) {
  SimulateResult r = Simulate({}, On(3));
  EXPECT_EQ(r.tasks, 0u);
  EXPECT_DOUBLE_EQ(r.makespan, 0);
  EXPECT_DOUBLE_EQ(r.ratio, 0);
}

TEST(SimulateTest, WidestNodeFitsTheWidestTask) {
  Manifest m = Load(
      "{\"command\": \"a\", \"ranks_per_node\": 16, \"cores_per_rank\": 4}\n"
      "{\"command\": \"b\", \"nodes\": 2, \"gpus_per_rank\": 3}\n");
  SimMachine machine = WidestNode(m.tasks, 5);
  EXPECT_EQ(machine.nodes, 5);
  EXPECT_EQ(machine.cores_per_node, 64);
  EXPECT_EQ(machine.gpus_per_node, 3);
  EXPECT_EQ(WidestNode({}, 1).cores_per_node, 1);
}

// Whatever the workload, no schedule beats the lower bound and nothing
// uses more than the machine.
TEST(SimulateTest, RandomWorkloadsNeverBeatTheLowerBound) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    std::string text;
    for (int i = 0; i < 200; ++i) {
      const int nodes = 1 << std::uniform_int_distribution<int>(0, 3)(rng);
      const int cores = std::uniform_int_distribution<int>(1, 8)(rng);
      const int est = std::uniform_int_distribution<int>(1, 500)(rng);
      text += "{\"id\": \"t" + std::to_string(i) +
              "\", \"command\": \"x\", \"nodes\": " + std::to_string(nodes) +
              ", \"cores_per_rank\": " + std::to_string(cores) +
              ", \"est_runtime\": " + std::to_string(est) +
              (i > 0 && i % 7 == 0
                   ? ", \"after\": [\"t" + std::to_string(i - 3) + "\"]"
                   : "") +
              "}\n";
    }
    Manifest m = Load(text);
    SimulateResult r = Simulate(m.tasks, On(8, 8));
    EXPECT_EQ(r.done, 200u);
    EXPECT_GE(r.makespan, r.lower_bound * (1 - 1e-12)) << trial;
    EXPECT_LE(r.utilization, 1 + 1e-12) << trial;
    EXPECT_GE(r.ratio, 1 - 1e-12) << trial;
  }
}

}  // namespace
}  // namespace sortie
