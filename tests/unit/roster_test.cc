// The roster (master/roster.cc): the master gathers every worker's Hello,
// reports a mismatched protocol version, and builds the nodes in rank order.
#include "master/roster.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
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

}  // namespace
}  // namespace sortie
