// run.h5's /nodes group and the /tasks column that points into it,
// node_ids: one row per node, empty when there are none, and wide
// placements kept in placement order.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/h5.h"
#include "master/run_file.h"
#include "run_file_fixtures.h"

namespace sortie::run_file_testing {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

// The /nodes columns match `nodes` row for row.
void ExpectNodesMatch(hid_t file, const std::vector<NodeRecord>& nodes) {
  std::vector<int32_t> rank, cores, gpus;
  std::vector<std::string> host;
  for (const NodeRecord& node : nodes) {
    rank.push_back(node.rank);
    host.push_back(node.host);
    cores.push_back(node.cores);
    gpus.push_back(node.gpus);
  }
  EXPECT_EQ(Int32Column(file, "rank", "nodes"), rank);
  EXPECT_EQ(StringColumn(file, "host", "nodes"), host);
  EXPECT_EQ(Int32Column(file, "cores", "nodes"), cores);
  EXPECT_EQ(Int32Column(file, "gpus", "nodes"), gpus);
}

TEST(RunFileTest, NodesGroupHasOneRowPerNodeInNodeOrder) {
  const fs::path path = TestDir() / "RUN.h5";
  const RunData run = SampleRun();
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  const H5Group nodes(H5Gopen2(file.get(), "nodes", H5P_DEFAULT));
  ASSERT_TRUE(nodes);
  EXPECT_EQ(ReadStringListAttribute(nodes.get(), "columns"), kNodeColumns);
  H5G_info_t info;
  ASSERT_GE(H5Gget_info(nodes.get(), &info), 0);
  EXPECT_EQ(info.nlinks, kNodeColumns.size());
  ExpectNodesMatch(file.get(), run.nodes);
  EXPECT_THAT(Int32Column(file.get(), "rank", "nodes"), ElementsAre(1, 2, 3));
  EXPECT_THAT(StringColumn(file.get(), "host", "nodes"),
              ElementsAre("node-01", "nœud-02", "node-01"));
  EXPECT_THAT(Int32Column(file.get(), "cores", "nodes"),
              ElementsAre(64, 128, 32));
  EXPECT_THAT(Int32Column(file.get(), "gpus", "nodes"), ElementsAre(4, 8, 0));
  for (const char* column : {"rank", "cores", "gpus"}) {
    EXPECT_GT(
        H5Tequal(DatasetType(file.get(), column, "nodes").get(), H5T_STD_I32LE),
        0)
        << column;
  }
  const H5Type host = DatasetType(file.get(), "host", "nodes");
  EXPECT_EQ(H5Tis_variable_str(host.get()), 0);
  EXPECT_EQ(H5Tget_cset(host.get()), H5T_CSET_UTF8);
  EXPECT_EQ(H5Tget_size(host.get()), std::string("nœud-02").size());
  for (const std::string& column : kNodeColumns) {
    EXPECT_EQ(ChunkRows(file.get(), column, "nodes"), 3u) << column;
  }
}

TEST(RunFileTest, NoNodesGivesEmptyNodeColumns) {
  const fs::path path = TestDir() / "RUN.h5";
  RunData run = SampleRun();
  run.nodes.clear();
  run.task_nodes.assign(run.specs.size(), "");
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  for (const std::string& column : kNodeColumns) {
    EXPECT_EQ(Rows(file.get(), column, "nodes"), 0u) << column;
    EXPECT_EQ(ChunkRows(file.get(), column, "nodes"), 0u) << column;
  }
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "host", "nodes").get()), 1u);
  EXPECT_THAT(StringColumn(file.get(), "node_ids"),
              ElementsAre("", "", "", "", ""));
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "node_ids").get()), 1u);
}

TEST(RunFileTest, NodeIdsOfAWidePlacementRoundTrip) {
  const fs::path path = TestDir() / "RUN.h5";
  RunData run = SampleRun();
  run.nodes.clear();
  for (int32_t node = 0; node < 1000; ++node) {
    run.nodes.push_back({node + 1, "nid" + std::to_string(node), 128, 0});
  }
  run.specs[1].nodes = 1000;
  run.task_nodes[1] = NodeList(0, 1000);
  run.task_nodes[3] = "999,0,500";  // placement order, not sorted
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  const std::vector<std::string> ids = StringColumn(file.get(), "node_ids");
  EXPECT_EQ(ids, run.task_nodes);
  EXPECT_EQ(ids[1].substr(0, 8), "0,1,2,3,");
  EXPECT_EQ(ids[1].substr(ids[1].size() - 8), ",998,999");
  EXPECT_EQ(Rows(file.get(), "host", "nodes"), 1000u);
  ExpectNodesMatch(file.get(), run.nodes);
}

// A resumed run lists every allocation's nodes, each row with its
// allocation, and one /allocations row per allocation (NaN ended_at while
// it runs).
TEST(RunFileTest, NodesOfEveryAllocationAndTheAllocationsTable) {
  const fs::path path = TestDir() / "RUN.h5";
  const RunData run = LifecycleRun();
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  ExpectNodesMatch(file.get(), run.nodes);
  EXPECT_THAT(Int32Column(file.get(), "allocation", "nodes"),
              ElementsAre(0, 0, 1, 1));
  const H5Group group(H5Gopen2(file.get(), "allocations", H5P_DEFAULT));
  ASSERT_TRUE(group);
  EXPECT_EQ(ReadStringListAttribute(group.get(), "columns"),
            kAllocationColumns);
  H5G_info_t info;
  ASSERT_GE(H5Gget_info(group.get(), &info), 0);
  EXPECT_EQ(info.nlinks, kAllocationColumns.size());
  EXPECT_THAT(Float64Column(file.get(), "started_at", "allocations"),
              ElementsAre(50, 190));
  const std::vector<double> ended =
      Float64Column(file.get(), "ended_at", "allocations");
  ASSERT_EQ(ended.size(), 2u);
  EXPECT_EQ(ended[0], 170);
  EXPECT_TRUE(std::isnan(ended[1]));
  EXPECT_THAT(Int32Column(file.get(), "ranks", "allocations"),
              ElementsAre(3, 3));
  EXPECT_THAT(Int32Column(file.get(), "nodes", "allocations"),
              ElementsAre(2, 2));
  for (const char* column : {"started_at", "ended_at"}) {
    EXPECT_GT(H5Tequal(DatasetType(file.get(), column, "allocations").get(),
                       H5T_IEEE_F64LE),
              0)
        << column;
  }
  for (const char* column : {"ranks", "nodes"}) {
    EXPECT_GT(H5Tequal(DatasetType(file.get(), column, "allocations").get(),
                       H5T_STD_I32LE),
              0)
        << column;
  }
  EXPECT_GT(H5Tequal(DatasetType(file.get(), "allocation", "nodes").get(),
                     H5T_STD_I32LE),
            0);
}

TEST(RunFileTest, NoAllocationsGivesAnEmptyAllocationsGroup) {
  const fs::path path = TestDir() / "RUN.h5";
  const RunData empty;
  WriteRunFile(path, empty.View());
  const H5File file = OpenFileReadOnly(path);
  for (const std::string& column : kAllocationColumns) {
    EXPECT_EQ(Rows(file.get(), column, "allocations"), 0u) << column;
  }
}

}  // namespace
}  // namespace sortie::run_file_testing
