#include "master/intern_table.h"

#include <gtest/gtest.h>

#include "master/run_state.h"

namespace sortie {
namespace {

TEST(InternTableTest, EachStringOnceInOrderOfFirstSight) {
  InternTable table;
  EXPECT_EQ(table.Intern("b"), 0);
  EXPECT_EQ(table.Intern("b"), 0);  // the repeat found without a lookup
  EXPECT_EQ(table.Intern("a"), 1);
  EXPECT_EQ(table.Intern("b"), 0);  // not the last one: found in the map
  EXPECT_EQ(table.Intern(""), 2);
  EXPECT_EQ(table.strings(), (std::vector<std::string>{"b", "a", ""}));
  EXPECT_EQ(table.at(1), "a");
}

TEST(InternTableTest, RunStateKeepsEachTasksNodeList) {
  std::vector<TaskSpec> specs(4);
  RunState state(std::move(specs), RunInfo{}, "");
  JournalRecord opening;
  opening.type = JournalRecordType::kRunStarted;
  state.Apply(opening);
  state.Apply(RunState::AllocationNodesRecord(
      {NodeRecord{0, "a", 1, 0}, NodeRecord{1, "b", 1, 0},
       NodeRecord{2, "c", 1, 0}, NodeRecord{3, "d", 1, 0}}));
  const auto start = [&](uint32_t row, int32_t attempt, int rank) {
    state.Apply(state.StartedRecord(row, attempt, rank, "h", 1.0));
  };
  state.Apply(RunState::TaskNodesRecord(0, 1, {0, 1}));
  start(0, 1, 0);
  start(2, 1, 3);
  state.Apply(RunState::TaskNodesRecord(3, 1, {0, 1}));
  start(3, 1, 0);
  start(0, 2, 2);  // a later attempt ran elsewhere
  const RunView view = state.View();
  ASSERT_EQ(view.task_nodes.size(), 4u);
  EXPECT_EQ(view.task_nodes[0], "2");
  EXPECT_EQ(view.task_nodes[1], "");  // never started
  EXPECT_EQ(view.task_nodes[2], "3");
  EXPECT_EQ(view.task_nodes[3], "0,1");
}

}  // namespace
}  // namespace sortie
