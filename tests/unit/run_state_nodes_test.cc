// Where attempts ran and in which allocation, as the run's state takes it
// from the journal: /nodes rows of every allocation, node_ids set when an
// attempt starts (never at its placement), /allocations with their spans,
// and the ends a resume records for attempts a stopped run lost.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "master/journal.h"
#include "master/run_state.h"

namespace sortie {
namespace {

using ::testing::ElementsAre;

JournalRecord Opening(JournalRecordType type, double time, int32_t ranks) {
  JournalRecord record;
  record.type = type;
  record.time = time;
  record.rank = ranks;
  return record;
}

JournalRecord Finished(double time) {
  JournalRecord record;
  record.type = JournalRecordType::kRunFinished;
  record.time = time;
  return record;
}

JournalRecord Ended(uint32_t row, int32_t attempt, TaskState state, int rank,
                    double time) {
  TaskResult result;
  result.row = row;
  result.attempt = attempt;
  result.exit_code = state == TaskState::kDone ? 0 : 1;
  result.end_time = time;
  return RunState::EndedRecord(result, rank);
}

// Ranks 1 and 2 serve one node each, as under --master-only; `tag` tells
// the allocations' hosts apart.
std::vector<NodeRecord> TwoNodes(const std::string& tag) {
  return {NodeRecord{1, tag + "-a", 4, 0}, NodeRecord{2, tag + "-b", 4, 1}};
}

class RunStateNodesTest : public ::testing::Test {
 protected:
  RunStateNodesTest() : state_(Specs(), RunInfo{}) {}

  static std::vector<TaskSpec> Specs() {
    std::vector<TaskSpec> specs(3);
    specs[0].id = "single";
    specs[1].id = "wide";
    specs[1].nodes = 2;
    specs[2].id = "flaky";
    specs[2].retries = 1;
    return specs;
  }

  void Apply(const JournalRecord& record) { state_.Apply(record); }
  void Start(uint32_t row, int32_t attempt, int rank, double time) {
    Apply(state_.StartedRecord(row, attempt, rank, "h", time));
  }
  std::string NodeIds(uint32_t row) const {
    return state_.View().task_nodes[row];
  }

  RunState state_;
};

TEST_F(RunStateNodesTest, AStartTakesTheNodeItsRankServes) {
  Apply(Opening(JournalRecordType::kRunStarted, 10, 3));
  Apply(RunState::AllocationNodesRecord(TwoNodes("x")));
  Start(0, 1, 2, 11);
  EXPECT_EQ(NodeIds(0), "1");
  Start(2, 1, 1, 11);
  EXPECT_EQ(NodeIds(2), "0");
  EXPECT_EQ(NodeIds(1), "");  // never started
}

TEST_F(RunStateNodesTest, AMultiNodeStartTakesItsJournaledNodes) {
  Apply(Opening(JournalRecordType::kRunStarted, 10, 3));
  Apply(RunState::AllocationNodesRecord(TwoNodes("x")));
  Apply(RunState::TaskNodesRecord(1, 1, {2, 1}));
  EXPECT_EQ(NodeIds(1), "");  // not before it starts
  Start(1, 1, 2, 11);
  EXPECT_EQ(NodeIds(1), "1,0");
  // The list is used once: a later single-node start of another task on
  // the same rank gets its own node.
  Start(0, 1, 2, 12);
  EXPECT_EQ(NodeIds(0), "1");
}

// A retried attempt's node_ids change when it starts, not when it is
// placed; until then they are the last started attempt's.
TEST_F(RunStateNodesTest, ARetryKeepsItsLastStartedAttemptsNodes) {
  Apply(Opening(JournalRecordType::kRunStarted, 10, 3));
  Apply(RunState::AllocationNodesRecord(TwoNodes("x")));
  Start(2, 1, 1, 11);
  Apply(Ended(2, 1, TaskState::kFailed, 1, 12));
  ASSERT_EQ(state_.status()[2].state, TaskState::kPending);
  EXPECT_EQ(NodeIds(2), "0");
  Start(2, 2, 2, 13);
  EXPECT_EQ(NodeIds(2), "1");
}

TEST_F(RunStateNodesTest, NodesAccumulateOverAllocations) {
  Apply(Opening(JournalRecordType::kRunStarted, 10, 3));
  Apply(RunState::AllocationNodesRecord(TwoNodes("x")));
  Start(0, 1, 2, 11);
  Apply(Ended(0, 1, TaskState::kDone, 2, 12));
  Apply(Finished(13));
  Apply(Opening(JournalRecordType::kRunResumed, 20, 3));
  Apply(RunState::AllocationNodesRecord(TwoNodes("y")));
  Start(2, 1, 2, 21);
  Apply(RunState::TaskNodesRecord(1, 1, {1, 2}));
  Start(1, 1, 1, 21);

  const RunView view = state_.View();
  ASSERT_EQ(view.nodes.size(), 4u);
  EXPECT_EQ(view.nodes[1], (NodeRecord{2, "x-b", 4, 1, 0}));
  EXPECT_EQ(view.nodes[2], (NodeRecord{1, "y-a", 4, 0, 1}));
  EXPECT_EQ(view.nodes[3], (NodeRecord{2, "y-b", 4, 1, 1}));
  EXPECT_EQ(NodeIds(0), "1");  // allocation 0's, kept after the resume
  EXPECT_EQ(NodeIds(2), "3");
  EXPECT_EQ(NodeIds(1), "2,3");
  ASSERT_EQ(view.allocations.size(), 2u);
  EXPECT_EQ(view.allocations[0].started_at, 10);
  EXPECT_EQ(view.allocations[0].ended_at, 13);
  EXPECT_EQ(view.allocations[0].ranks, 3);
  EXPECT_EQ(view.allocations[0].nodes, 2);
  EXPECT_EQ(view.allocations[1].started_at, 20);
  EXPECT_TRUE(std::isnan(view.allocations[1].ended_at));  // still running
}

// A journal written before the node records existed: its starts have no
// node_ids, and the allocation no nodes; a resume in a new allocation
// records both from then on.
TEST_F(RunStateNodesTest, StartsOfAJournalWithoutNodeRecordsHaveNoNodes) {
  Apply(Opening(JournalRecordType::kRunStarted, 10, 3));
  Start(0, 1, 2, 11);
  Apply(Ended(0, 1, TaskState::kDone, 2, 12));
  Apply(Opening(JournalRecordType::kRunResumed, 20, 3));
  Apply(RunState::AllocationNodesRecord(TwoNodes("y")));
  Start(2, 1, 1, 21);
  EXPECT_EQ(NodeIds(0), "");
  EXPECT_EQ(NodeIds(2), "0");
  const RunView view = state_.View();
  ASSERT_EQ(view.nodes.size(), 2u);
  EXPECT_EQ(view.nodes[0].allocation, 1);
  ASSERT_EQ(view.allocations.size(), 2u);
  EXPECT_EQ(view.allocations[0].nodes, 0);
  EXPECT_EQ(view.allocations[0].ended_at, 12);  // its latest record
}

// A run killed with attempts running: the resume ends each INTERRUPTED at
// the latest time the journal recorded, on its rank, with why; the task is
// then rerun without using up a retry.
TEST_F(RunStateNodesTest, LostAttemptsEndInterruptedAtTheLatestTime) {
  Apply(Opening(JournalRecordType::kRunStarted, 10, 3));
  Apply(RunState::AllocationNodesRecord(TwoNodes("x")));
  Start(0, 1, 2, 11);
  Start(2, 1, 1, 12);
  Apply(Ended(2, 1, TaskState::kFailed, 1, 13));
  Start(2, 2, 1, 14.5);
  Start(1, 1, 2, 14);
  Apply(Ended(1, 1, TaskState::kDone, 2, 14.25));
  ASSERT_EQ(state_.LatestRecordedTime(), 14.5);

  const std::vector<JournalRecord> lost =
      state_.LostAttemptRecords(state_.LatestRecordedTime());
  ASSERT_EQ(lost.size(), 2u);
  EXPECT_EQ(lost[0].type, JournalRecordType::kTaskEnded);
  EXPECT_EQ(lost[0].row, 0u);
  EXPECT_EQ(lost[0].attempt, 1);
  EXPECT_EQ(lost[0].rank, 2);
  EXPECT_EQ(lost[0].state, TaskState::kInterrupted);
  EXPECT_EQ(lost[0].time, 14.5);
  EXPECT_EQ(lost[0].text, kLostReason);
  EXPECT_EQ(lost[1].row, 2u);
  EXPECT_EQ(lost[1].attempt, 2);
  EXPECT_EQ(lost[1].rank, 1);
  for (const JournalRecord& record : lost) Apply(record);
  state_.PrepareResume(false);
  EXPECT_EQ(state_.status()[0].state, TaskState::kPending);
  EXPECT_EQ(state_.status()[2].state, TaskState::kPending);
  EXPECT_EQ(state_.status()[2].failures, 1);  // only the real failure
  EXPECT_EQ(state_.View().notes[0].reason, kLostReason);
  EXPECT_EQ(NodeIds(0), "1");  // where the lost attempt ran
  EXPECT_THAT(state_.LostAttemptRecords(20), ::testing::IsEmpty());

  Apply(Opening(JournalRecordType::kRunResumed, 30, 3));
  EXPECT_EQ(state_.View().allocations[0].ended_at, 14.5);
  const std::vector<TaskEvent>& events = state_.View().events;
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[events.size() - 2].state, TaskState::kInterrupted);
  EXPECT_EQ(events.back().state, TaskState::kInterrupted);
  EXPECT_THAT(
      std::vector<double>({events[events.size() - 2].time, events.back().time}),
      ElementsAre(14.5, 14.5));
}

// The latest time is the current allocation's: its start when nothing
// happened since.
TEST_F(RunStateNodesTest, TheLatestTimeIsTheCurrentAllocations) {
  Apply(Opening(JournalRecordType::kRunStarted, 10, 3));
  Start(0, 1, 2, 11);
  Apply(Ended(0, 1, TaskState::kDone, 2, 12));
  Apply(Finished(13));
  Apply(Opening(JournalRecordType::kRunResumed, 20, 3));
  EXPECT_EQ(state_.LatestRecordedTime(), 20);
  EXPECT_EQ(state_.View().allocations[0].ended_at, 13);  // its finish
}

}  // namespace
}  // namespace sortie
