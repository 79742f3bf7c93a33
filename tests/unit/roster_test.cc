// The roster (master/roster.cc): the master gathers every worker's Hello,
// reports a mismatched protocol version, builds the nodes in rank order, and
// warns of ranks that share cores.
#include "master/roster.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "fakes.h"
#include "master_fixtures.h"

namespace sortie {
namespace {

using ::sortie::testing::FakeClock;
using ::sortie::testing::SimulatedCluster;

TEST(RosterTest, GathersEveryHelloAndBuildsNodesInRankOrder) {
  FakeClock clock;
  SimulatedCluster cluster(4, clock, FailOddRows, /*send_hellos=*/true);
  std::string problem;
  std::vector<HelloMsg> hellos = GatherHellos(cluster, clock, &problem);
  EXPECT_TRUE(problem.empty());
  ASSERT_EQ(hellos.size(), 3u);
  NodeResources master{"head", {0, 1, 2}, {}};
  std::vector<ClusterNode> nodes = BuildRoster(master, false, hellos);
  ASSERT_EQ(nodes.size(), 4u);
  EXPECT_EQ(nodes[0].rank, 0);
  EXPECT_FALSE(nodes[0].runs_functions);
  EXPECT_EQ(nodes[3].rank, 3);
  EXPECT_EQ(nodes[3].cpu_ids.size(), 2u);
  EXPECT_EQ(BuildRoster(master, true, hellos).size(), 3u);
}

TEST(RosterTest, ProtocolMismatchIsReported) {
  FakeClock clock;
  SimulatedCluster cluster(3, clock, FailOddRows, true, kProtocolVersion + 1);
  std::string problem;
  GatherHellos(cluster, clock, &problem);
  EXPECT_THAT(problem, ::testing::HasSubstr("protocol version"));
}

ClusterNode Node(int32_t rank, std::string host, std::vector<int32_t> cpus) {
  return ClusterNode{rank, std::move(host), std::move(cpus), {}, rank != 0};
}

// `mpiexec -n 3` on a 2-CPU host: node discovery gives the third rank a core
// another rank has, and tasks of both end up pinned to it.
TEST(RosterTest, RanksOutnumberingTheirHostsCpusAreWarnedOfOncePerHost) {
  const std::vector<ClusterNode> nodes = {
      Node(0, "vm", {0}),     Node(1, "vm", {1}),     Node(2, "vm", {0}),
      Node(3, "big", {0, 1}), Node(4, "big", {2, 3}), Node(5, "tiny", {0}),
      Node(6, "tiny", {0}),   Node(7, "tiny", {0})};
  EXPECT_THAT(SharedCoreWarnings(nodes),
              ::testing::ElementsAre(
                  "sortie: warning: host vm runs 3 ranks on 2 CPUs: ranks "
                  "share cores, so tasks on them compete\n",
                  "sortie: warning: host tiny runs 3 ranks on 1 CPU: ranks "
                  "share cores, so tasks on them compete\n"));
}

TEST(RosterTest, RanksWithACoreEachAreNotWarnedOf) {
  // One rank per node, and two ranks splitting a host: no warning.
  EXPECT_THAT(SharedCoreWarnings({Node(0, "a", {0}), Node(1, "b", {0}),
                                  Node(2, "c", {0, 1}), Node(3, "c", {2, 3})}),
              ::testing::IsEmpty());
  EXPECT_THAT(SharedCoreWarnings({}), ::testing::IsEmpty());
}

}  // namespace
}  // namespace sortie
