// What the master journals about where tasks run (master/master.cc and
// master_send.cc): the allocation's nodes after its opening record, a
// multi-node attempt's nodes just before its start, and no node_ids for a
// task that is placed (or queued as a follower) but has not started.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fakes.h"
#include "master/master.h"
#include "master_fixtures.h"

namespace sortie {
namespace {

using ::sortie::testing::SimulatedRun;

SimulatedRun OneSecond(const Assignment&, int) {
  return SimulatedRun{0, 0, 1.0};
}

std::vector<JournalRecord> OfType(const std::vector<JournalRecord>& records,
                                  JournalRecordType type) {
  std::vector<JournalRecord> out;
  for (const JournalRecord& r : records) {
    if (r.type == type) out.push_back(r);
  }
  return out;
}

TEST(MasterNodesTest, TheAllocationsNodesFollowItsOpening) {
  Harness h(2, 3, OneSecond, 2);
  ASSERT_EQ(h.Run(), 0);
  const std::vector<JournalRecord>& records = h.journal.records;
  ASSERT_GE(records.size(), 2u);
  EXPECT_EQ(records[0].type, JournalRecordType::kRunStarted);
  EXPECT_EQ(records[1].type, JournalRecordType::kAllocationNodes);
  EXPECT_EQ(records[1].nodes,
            (std::vector<NodeRecord>{{1, "node1", 2, 0}, {2, "node2", 2, 0}}));
  const RunView view = h.state.View();
  EXPECT_EQ(view.nodes, records[1].nodes);
  ASSERT_EQ(view.allocations.size(), 1u);
  EXPECT_EQ(view.allocations[0].ranks, 3);
  EXPECT_EQ(view.allocations[0].nodes, 2);
  EXPECT_EQ(view.allocations[0].ended_at, h.state.info().finished_at);
  // Single-node tasks take the node their rank serves: no record of their
  // own.
  EXPECT_TRUE(OfType(records, JournalRecordType::kTaskNodes).empty());
  for (uint32_t row = 0; row < 2; ++row) {
    EXPECT_EQ(view.task_nodes[row],
              std::to_string(h.state.status()[row].rank - 1));
  }
}

TEST(MasterNodesTest, AMultiNodeStartIsJournaledWithItsNodesJustBeforeIt) {
  std::vector<TaskSpec> specs = Specs(2);
  specs[0].nodes = 2;
  Harness h(specs, 4, OneSecond, 1);
  ASSERT_EQ(h.Run(), 0);
  const std::vector<JournalRecord>& records = h.journal.records;
  size_t at = 0;
  while (at < records.size() &&
         records[at].type != JournalRecordType::kTaskNodes) {
    ++at;
  }
  ASSERT_LT(at + 1, records.size());
  EXPECT_EQ(records[at].row, 0u);
  EXPECT_EQ(records[at].attempt, 1);
  EXPECT_EQ(records[at + 1].type, JournalRecordType::kTaskStarted);
  EXPECT_EQ(records[at + 1].row, 0u);
  // The ranks the placement went to, leader first.
  const auto sent =
      std::find_if(h.cluster.assignments.begin(), h.cluster.assignments.end(),
                   [](const auto& a) { return a.first.row == 0; });
  ASSERT_NE(sent, h.cluster.assignments.end());
  const Assignment& assignment = sent->first;
  EXPECT_EQ(records[at].ranks, assignment.group.ranks);
  EXPECT_EQ(OfType(records, JournalRecordType::kTaskNodes).size(), 1u);
  EXPECT_EQ(h.state.View().task_nodes[0],
            std::to_string(assignment.group.ranks[0] - 1) + "," +
                std::to_string(assignment.group.ranks[1] - 1));
}

// Followers are placed (sent to the worker) long before they start: until
// then every snapshot shows them PENDING without node_ids.
TEST(MasterNodesTest, QueuedFollowersHaveNoNodesUntilTheyStart) {
  Harness h(60, 2, [](const Assignment&, int) {
    return SimulatedRun{0, 0, 0.01};
  });
  h.options.snapshot_interval = 0.003;
  size_t placed_not_started = 0;
  std::vector<std::string> unstarted_with_nodes;
  Master master(
      h.state, h.cluster, h.clock, h.journal,
      [&](const RunView& view) {
        std::set<uint32_t> sent;
        for (const auto& [assignment, rank] : h.cluster.assignments) {
          sent.insert(assignment.row);
        }
        for (uint32_t row = 0; row < view.status.size(); ++row) {
          const bool started = !std::isnan(view.status[row].start_time);
          if (!started && sent.count(row) > 0) ++placed_not_started;
          if (!started && !view.task_nodes[row].empty()) {
            unstarted_with_nodes.push_back(view.specs[row].id + " on " +
                                           view.task_nodes[row]);
          }
        }
      },
      nullptr, h.nodes, h.options);
  ASSERT_EQ(master.Run(), 0);
  EXPECT_GT(placed_not_started, 0u);  // the case this test is about happened
  EXPECT_TRUE(unstarted_with_nodes.empty())
      << unstarted_with_nodes.size() << " snapshots' tasks, first "
      << unstarted_with_nodes.front();
}

// A run resumed in a new allocation: tasks that ended in the first keep
// its /nodes rows, tasks run now get the new allocation's.
TEST(MasterNodesTest, AResumedRunKeepsTheEarlierAllocationsNodes) {
  Harness h(3, 3, OneSecond, 1);
  JournalRecord opening;
  opening.type = JournalRecordType::kRunStarted;
  opening.time = 1.6e9;
  opening.rank = 3;
  h.state.Apply(opening);
  h.state.Apply(RunState::AllocationNodesRecord(
      {NodeRecord{1, "old1", 1, 0}, NodeRecord{2, "old2", 1, 0}}));
  h.state.Apply(h.state.StartedRecord(0, 1, 2, "old2", 1.6e9 + 1));
  TaskResult done;
  done.row = 0;
  done.attempt = 1;
  done.exit_code = 0;
  done.end_time = 1.6e9 + 2;
  h.state.Apply(RunState::EndedRecord(done, 2));
  h.options.resumed = true;
  ASSERT_EQ(h.Run(), 0);
  const RunView view = h.state.View();
  ASSERT_EQ(view.nodes.size(), 4u);
  EXPECT_EQ(view.nodes[2].host, "node1");
  EXPECT_EQ(view.nodes[2].allocation, 1);
  EXPECT_EQ(view.task_nodes[0], "1");  // old2, of the first allocation
  for (uint32_t row = 1; row < 3; ++row) {
    EXPECT_EQ(view.task_nodes[row],
              std::to_string(h.state.status()[row].rank + 1));
  }
  ASSERT_EQ(view.allocations.size(), 2u);
  EXPECT_EQ(view.allocations[0].ended_at, 1.6e9 + 2);  // it stopped then
  EXPECT_EQ(h.journal.records[0].type, JournalRecordType::kRunResumed);
  EXPECT_EQ(h.journal.records[1].type, JournalRecordType::kAllocationNodes);
}

}  // namespace
}  // namespace sortie
