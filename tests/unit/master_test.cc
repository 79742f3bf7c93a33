// The master's core loop (master/master.cc) on a simulated cluster: every
// task runs once with its outcome recorded and journaled; snapshots are
// periodic plus one at the end, and only the last one may fail the run; an
// idle master backs off; tasks are packed onto nodes or spread over several;
// rows queued in chunks keep their order. Retries, drain and walltime are in
// master_retry_drain_test.cc, followers in master_follow_test.cc.
#include "master/master.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "fakes.h"
#include "master_fixtures.h"

namespace sortie {
namespace {

using ::sortie::testing::SimulatedCluster;
using ::sortie::testing::SimulatedRun;

TEST(MasterTest, RunsEveryTaskAndRecordsExactOutcome) {
  Harness h(10, 3, [](const Assignment& a, int) {
    if (a.row == 4) return SimulatedRun{-1, 11, 0.5};
    return SimulatedRun{a.row == 7 ? 3 : 0, 0, 0.5};
  });
  EXPECT_EQ(h.Run(), 1);
  const auto& status = h.state.status();
  for (uint32_t row = 0; row < 10; ++row) {
    SCOPED_TRACE(row);
    bool ok = row != 4 && row != 7;
    EXPECT_EQ(status[row].state, ok ? TaskState::kDone : TaskState::kFailed);
    EXPECT_EQ(status[row].attempts, 1);
    EXPECT_GE(status[row].rank, 1);
    EXPECT_EQ(h.state.HostName(status[row].host),
              "node" + std::to_string(status[row].rank));
    EXPECT_NEAR(status[row].end_time - status[row].start_time, 0.5, 1e-9);
  }
  EXPECT_EQ(status[4].signal, 11);
  EXPECT_EQ(status[4].exit_code, -1);
  EXPECT_EQ(status[7].exit_code, 3);
  EXPECT_EQ(h.state.Count(TaskState::kDone), 8u);
}

TEST(MasterTest, OneTaskPerWorkerAtATimeAndAllWorkersUsed) {
  Harness h(12, 4, FailOddRows);
  h.Run();
  EXPECT_EQ(h.cluster.max_concurrent_per_rank, 1);
  std::set<int> ranks;
  for (const auto& [assignment, rank] : h.cluster.assignments)
    ranks.insert(rank);
  EXPECT_THAT(ranks, ::testing::ElementsAre(1, 2, 3));
  EXPECT_EQ(h.cluster.assignments.size(), 12u);
}

TEST(MasterTest, ShutsDownEveryWorkerWithTheRunsExitStatus) {
  Harness h(5, 3, FailOddRows);
  EXPECT_EQ(h.Run(), 1);
  ASSERT_EQ(h.cluster.shutdowns.size(), 2u);
  EXPECT_EQ(h.cluster.shutdowns[1].exit_code, 1);
  EXPECT_EQ(h.cluster.shutdowns[2].exit_code, 1);
  EXPECT_EQ(h.state.info().exit_status, 1);  // what run.h5 records

  Harness ok(5, 2, [](const Assignment&, int) { return SimulatedRun{}; });
  EXPECT_EQ(ok.Run(), 0);
  EXPECT_EQ(ok.cluster.shutdowns[1].exit_code, 0);
}

TEST(MasterTest, JournalsEveryTransitionInOrderAndFlushesAtTheEnd) {
  Harness h(3, 2, FailOddRows);
  h.Run();
  const auto& records = h.journal.records;
  ASSERT_EQ(records.size(), 2u + 3 * 2 + 1);
  EXPECT_EQ(records.front().type, JournalRecordType::kRunStarted);
  EXPECT_EQ(records.front().count, 3u);
  EXPECT_EQ(records[1].type, JournalRecordType::kAllocationNodes);
  EXPECT_EQ(records.back().type, JournalRecordType::kRunFinished);
  EXPECT_EQ(records.back().exit_code, 1);
  // One worker: each task starts, then ends, before the next starts.
  for (uint32_t row = 0; row < 3; ++row) {
    const JournalRecord& start = records[2 + 2 * row];
    const JournalRecord& end = records[3 + 2 * row];
    EXPECT_EQ(start.type, JournalRecordType::kTaskStarted);
    EXPECT_EQ(start.row, row);
    EXPECT_EQ(start.text, "node1");
    EXPECT_EQ(end.type, JournalRecordType::kTaskEnded);
    EXPECT_EQ(end.row, row);
    EXPECT_EQ(end.state, row % 2 ? TaskState::kFailed : TaskState::kDone);
  }
  EXPECT_EQ(h.journal.durable, records.size());
}

TEST(MasterTest, SnapshotsPeriodicallyAndOnceMoreAtTheEnd) {
  Harness h(20, 2, [](const Assignment&, int) {
    return SimulatedRun{0, 0, 1.0};
  });
  // Not a divisor of the run's 20 s, so no periodic snapshot falls on the
  // moment the last task ends.
  h.Run(/*snapshot_interval=*/4.5);
  // 20 one-second tasks on one worker: about 4 periodic snapshots + the end.
  ASSERT_GE(h.snapshots.size(), 4u);
  ASSERT_LE(h.snapshots.size(), 6u);
  for (size_t i = 0; i + 1 < h.snapshots.size(); ++i) {
    EXPECT_TRUE(std::isnan(h.snapshots[i])) << "mid-run snapshot " << i;
    EXPECT_LT(h.done_at_snapshot[i], 20u);
  }
  EXPECT_FALSE(std::isnan(h.snapshots.back()));
  EXPECT_EQ(h.done_at_snapshot.back(), 20u);
  // Each says when it was taken, by the run's clock: a reader of a mid-run
  // snapshot knows how old what it shows is.
  for (size_t i = 0; i + 2 < h.written_at.size(); ++i) {  // mid-run ones
    EXPECT_GE(h.written_at[i + 1] - h.written_at[i], 4.5) << "snapshot " << i;
  }
  EXPECT_GE(h.written_at.back(), h.snapshots.back());
  EXPECT_LE(h.written_at.back(), h.clock.Now());
}

TEST(MasterTest, SnapshotIntervalZeroWritesOnlyAtTheEnd) {
  Harness h(20, 2, [](const Assignment&, int) {
    return SimulatedRun{0, 0, 1.0};
  });
  h.Run(0.0);
  EXPECT_EQ(h.snapshots.size(), 1u);
}

TEST(MasterSnapshotTest,
     FailedMidRunSnapshotIsAWarningButTheFinalOneIsAnError) {
  testing::FakeClock clock;
  RunState state(Specs(10), RunInfo{});
  SimulatedCluster cluster(2, clock, [](const Assignment&, int) {
    return SimulatedRun{0, 0, 1.0};
  });
  std::vector<ClusterNode> nodes = testing::Nodes(1, 1, 1);
  testing::MemoryJournal journal;
  int attempts = 0;
  MasterOptions options;
  options.snapshot_interval = 2.0;
  Master master(
      state, cluster, clock, journal,
      [&](const RunView&) {
        ++attempts;
        throw std::runtime_error("disk full");
      },
      nullptr, nodes, options);
  EXPECT_THROW(master.Run(), std::runtime_error);
  EXPECT_GE(attempts, 3);  // mid-run failures did not stop the run
  EXPECT_EQ(state.Count(TaskState::kDone), 10u);
  EXPECT_EQ(journal.durable, journal.records.size());
}

TEST(MasterTest, IdleMasterBacksOffInsteadOfSpinning) {
  Harness h(2, 2, [](const Assignment&, int) {
    return SimulatedRun{0, 0, 10.0};
  });
  h.Run();
  // 20 s of simulated waiting; capped back-off of 10 ms means ~2000 sleeps,
  // a spinning loop would need millions of polls.
  EXPECT_LT(h.clock.sleeps, 6000);
  EXPECT_GT(h.clock.sleeps, 20);
}

// After a second of quiet the master polls every 50 ms, not every 10 ms:
// a task that ran 10 s has its end noticed at most 50 ms late.
TEST(MasterTest, LongQuietSpellsArePolledLessOften) {
  Harness h(1, 2, [](const Assignment&, int) {
    return SimulatedRun{0, 0, 10.0};
  });
  h.Run();
  // 1 s of waits up to 10 ms (~130 with the lingering), then 9 s at 50 ms
  // (~180); 10 ms throughout would be over 1,000.
  EXPECT_GT(h.clock.sleeps, 250);
  EXPECT_LT(h.clock.sleeps, 400);
  const double ended = h.state.status()[0].end_time;
  EXPECT_GE(h.state.info().finished_at, ended);
  EXPECT_LE(h.state.info().finished_at - ended, 0.05 + 1e-6);
}

TEST(MasterTest, OneCoreTasksArePackedSeveralToANode) {
  Harness h(
      40, 3,
      [](const Assignment&, int) {
        return SimulatedRun{0, 0, 1.0};
      },
      /*cores=*/4);
  EXPECT_EQ(h.Run(), 0);
  EXPECT_EQ(h.cluster.max_concurrent_per_rank, 4);
  for (const auto& [assignment, rank] : h.cluster.assignments) {
    ASSERT_EQ(assignment.group.ranks, std::vector<int32_t>{rank});
    EXPECT_EQ(assignment.group.cpus.at(0).size(), 1u);
  }
}

TEST(MasterTest, CommandOfManyNodesGoesToItsLeaderOnly) {
  std::vector<TaskSpec> specs = Specs(1);
  specs[0].nodes = 2;
  specs[0].ranks_per_node = 2;
  Harness h(
      specs, 4,
      [](const Assignment&, int) {
        return SimulatedRun{0, 0, 1.0};
      },
      2);
  EXPECT_EQ(h.Run(), 0);
  ASSERT_EQ(h.cluster.assignments.size(), 1u);
  const auto& [assignment, rank] = h.cluster.assignments[0];
  EXPECT_EQ(assignment.group.ranks.size(), 2u);
  EXPECT_EQ(rank, assignment.group.ranks[0]);
  EXPECT_EQ(assignment.group.hosts[1],
            "node" + std::to_string(assignment.group.ranks[1]));
  EXPECT_EQ(assignment.group.cpus[0], (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(h.task_nodes[0].find(','), 1u) << h.task_nodes[0];
}

TEST(MasterTest, FunctionRunsOnEveryMemberAndFailsIfAnyMemberFails) {
  std::vector<TaskSpec> specs = Specs(2);
  for (TaskSpec& spec : specs) {
    spec.command.clear();
    spec.function = "sortie:allreduce";
    spec.nodes = 3;
  }
  Harness h(
      specs, 4,
      [](const Assignment& a, int) {
        return SimulatedRun{a.row == 1 && a.member == 2 ? 1 : 0, 0, 1.0};
      },
      1);
  EXPECT_EQ(h.Run(), 1);
  ASSERT_EQ(h.cluster.assignments.size(), 6u);
  std::set<int> members;
  for (const auto& [assignment, rank] : h.cluster.assignments) {
    EXPECT_EQ(assignment.group.ranks.at(static_cast<size_t>(assignment.member)),
              rank);
    members.insert(assignment.member);
  }
  EXPECT_THAT(members, ::testing::ElementsAre(0, 1, 2));
  EXPECT_EQ(h.state.status()[0].state, TaskState::kDone);
  EXPECT_EQ(h.state.status()[1].state, TaskState::kFailed);
  EXPECT_EQ(h.state.status()[1].exit_code, 1);
  // One start and one end journaled per task, not one per member.
  size_t starts = 0;
  for (const JournalRecord& r : h.journal.records) {
    starts += r.type == JournalRecordType::kTaskStarted;
  }
  EXPECT_EQ(starts, 2u);
}

TEST(MasterTest, EmptyManifestEndsAtOnce) {
  Harness h(0, 3, FailOddRows);
  EXPECT_EQ(h.Run(), 0);
  EXPECT_EQ(h.cluster.shutdowns.size(), 2u);
}

std::vector<uint32_t> AssignedRows(const Harness& h) {
  std::vector<uint32_t> rows;
  for (const auto& [assignment, rank] : h.cluster.assignments) {
    rows.push_back(assignment.row);
  }
  return rows;
}

// Queued a few rows per loop round, the tasks start in the order of a run
// queued all at once.
TEST(MasterTest, RowsQueuedInChunksStartInRowOrder) {
  auto one_second = [](const Assignment&, int) {
    return SimulatedRun{0, 0, 1.0};
  };
  Harness whole(9, 3, one_second, 2);
  whole.options.initial_queue_chunk = 0;  // all at once
  Harness chunked(9, 3, one_second, 2);
  chunked.options.initial_queue_chunk = 2;
  EXPECT_EQ(whole.Run(), 0);
  EXPECT_EQ(chunked.Run(), 0);
  EXPECT_EQ(chunked.state.Count(TaskState::kDone), 9u);
  // Four cores: rows 0-3 start first, 4-7 a second later, then 8 (which
  // node runs which row may differ).
  const std::vector<double> starts = {0, 0, 0, 0, 1, 1, 1, 1, 2};
  for (uint32_t row = 0; row < 9; ++row) {
    EXPECT_NEAR(chunked.state.status()[row].start_time,
                whole.state.status()[row].start_time, 0.01)
        << row;
    EXPECT_NEAR(chunked.state.status()[row].start_time -
                    chunked.state.status()[0].start_time,
                starts[row], 0.01)
        << row;
  }
}

// With priorities, a later row may have to go first: everything is queued
// before anything starts.
TEST(MasterTest, PrioritiesTurnOffChunkedQueuing) {
  std::vector<TaskSpec> specs = Specs(6);
  specs[5].priority = 10;
  Harness h(
      specs, 2,
      [](const Assignment&, int) {
        return SimulatedRun{0, 0, 1.0};
      },
      1);
  h.options.initial_queue_chunk = 2;
  EXPECT_EQ(h.Run(), 0);
  EXPECT_THAT(AssignedRows(h), ::testing::ElementsAre(5, 0, 1, 2, 3, 4));
}

}  // namespace
}  // namespace sortie
