#include "worker/node_discovery.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sortie {
namespace {

using ::testing::ElementsAre;

const std::vector<int32_t> kCpus = {0, 1, 2, 3, 4, 5, 6, 7};

TEST(NodeDiscoveryTest, OneRankPerHostOwnsEverything) {
  NodeResources node = ShareOfHost("n1", kCpus, {0, 1}, {0, 1}, {});
  EXPECT_EQ(node.host, "n1");
  EXPECT_EQ(node.cpu_ids, kCpus);
  EXPECT_THAT(node.gpu_ids, ElementsAre(0, 1));
}

TEST(NodeDiscoveryTest, RanksSharingAHostSplitItEvenly) {
  std::vector<int32_t> all;
  for (int32_t rank = 0; rank < 3; ++rank) {
    NodeResources node = ShareOfHost("n", kCpus, {0, 1, 2}, {rank, 3}, {});
    all.insert(all.end(), node.cpu_ids.begin(), node.cpu_ids.end());
    EXPECT_EQ(node.gpu_ids, std::vector<int32_t>{rank});
    EXPECT_EQ(node.cpu_ids.size(), rank < 2 ? 3u : 2u);
  }
  EXPECT_EQ(all, kCpus);  // disjoint, nothing lost
}

TEST(NodeDiscoveryTest, RanksOutnumberingCpusStillOfferOneCoreEach) {
  for (int32_t rank = 0; rank < 4; ++rank) {
    NodeResources node = ShareOfHost("n", {0, 1}, {}, {rank, 4}, {});
    EXPECT_EQ(node.cpu_ids, std::vector<int32_t>{rank < 2 ? rank : rank - 2})
        << rank;
  }
}

TEST(NodeDiscoveryTest, OverridesTakeFromTheFrontOrWrap) {
  NodeOverrides fewer{4, 0, false};
  NodeResources node = ShareOfHost("n", kCpus, {0, 1}, {0, 1}, fewer);
  EXPECT_THAT(node.cpu_ids, ElementsAre(0, 1, 2, 3));
  EXPECT_TRUE(node.gpu_ids.empty());
  NodeOverrides more{5, 2, false};
  node = ShareOfHost("n", {0, 1}, {}, {0, 1}, more);
  EXPECT_THAT(node.cpu_ids, ElementsAre(0, 1, 0, 1, 0));
  EXPECT_THAT(node.gpu_ids, ElementsAre(0, 1));
}

TEST(NodeDiscoveryTest, VirtualNodesAreWholeNodesMappedOntoRealCpus) {
  NodeOverrides virtual_nodes{4, 1, true};
  for (int32_t rank = 0; rank < 5; ++rank) {
    NodeResources node =
        ShareOfHost("vm", {0, 1}, {}, {rank, 5}, virtual_nodes);
    EXPECT_EQ(node.cpu_ids.size(), 4u) << rank;
    for (int32_t cpu : node.cpu_ids) EXPECT_TRUE(cpu == 0 || cpu == 1);
    EXPECT_EQ(node.gpu_ids.size(), 1u);
  }
}

TEST(NodeDiscoveryTest, AllowedCpusMatchesTheProcessMask) {
  std::vector<int32_t> cpus = AllowedCpus();
  ASSERT_FALSE(cpus.empty());
  EXPECT_TRUE(std::is_sorted(cpus.begin(), cpus.end()));
}

}  // namespace
}  // namespace sortie
