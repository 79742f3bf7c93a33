#include "master/master.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "fakes.h"

namespace sortie {
namespace {

using ::sortie::testing::FakeClock;
using ::sortie::testing::MemoryJournal;
using ::sortie::testing::SimulatedCluster;
using ::sortie::testing::SimulatedRun;

std::vector<TaskSpec> Specs(int n) {
  std::vector<TaskSpec> specs(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    specs[static_cast<size_t>(i)].id = "t" + std::to_string(i);
    specs[static_cast<size_t>(i)].command = {"/bin/true"};
  }
  return specs;
}

struct Harness {
  Harness(int tasks, int ranks, SimulatedCluster::RunFn run,
          uint32_t version = kProtocolVersion)
      : state(Specs(tasks), RunInfo{}),
        cluster(ranks, clock, std::move(run), version) {}

  int Run(double snapshot_interval = 30.0) {
    MasterOptions options;
    options.snapshot_interval = snapshot_interval;
    Master master(state, cluster, clock, journal,
                  [this](const RunView& view) {
                    snapshots.push_back(view.info.finished_at);
                    done_at_snapshot.push_back(view.status.size() -
                                               state.Unfinished());
                  },
                  nullptr, options);
    return master.Run();
  }

  FakeClock clock;
  RunState state;
  SimulatedCluster cluster;
  MemoryJournal journal;
  std::vector<double> snapshots;  ///< finished_at of each snapshot
  std::vector<size_t> done_at_snapshot;
};

SimulatedRun FailOddRows(const Assignment& a, int) {
  return SimulatedRun{static_cast<int>(a.row % 2), 0, 1.0};
}

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
  for (const auto& [row, rank] : h.cluster.assignments) ranks.insert(rank);
  EXPECT_THAT(ranks, ::testing::ElementsAre(1, 2, 3));
  EXPECT_EQ(h.cluster.assignments.size(), 12u);
}

TEST(MasterTest, ShutsDownEveryWorkerWithTheRunsExitStatus) {
  Harness h(5, 3, FailOddRows);
  EXPECT_EQ(h.Run(), 1);
  ASSERT_EQ(h.cluster.shutdowns.size(), 2u);
  EXPECT_EQ(h.cluster.shutdowns[1].exit_code, 1);
  EXPECT_EQ(h.cluster.shutdowns[2].exit_code, 1);

  Harness ok(5, 2, [](const Assignment&, int) { return SimulatedRun{}; });
  EXPECT_EQ(ok.Run(), 0);
  EXPECT_EQ(ok.cluster.shutdowns[1].exit_code, 0);
}

TEST(MasterTest, JournalsEveryTransitionInOrderAndFlushesAtTheEnd) {
  Harness h(3, 2, FailOddRows);
  h.Run();
  const auto& records = h.journal.records;
  ASSERT_EQ(records.size(), 1u + 3 * 2 + 1);
  EXPECT_EQ(records.front().type, JournalRecordType::kRunStarted);
  EXPECT_EQ(records.front().count, 3u);
  EXPECT_EQ(records.back().type, JournalRecordType::kRunFinished);
  EXPECT_EQ(records.back().exit_code, 1);
  // One worker: each task starts, then ends, before the next starts.
  for (uint32_t row = 0; row < 3; ++row) {
    const JournalRecord& start = records[1 + 2 * row];
    const JournalRecord& end = records[2 + 2 * row];
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
  Harness h(20, 2, [](const Assignment&, int) { return SimulatedRun{0, 0, 1.0}; });
  h.Run(/*snapshot_interval=*/5.0);
  // 20 one-second tasks on one worker: about 4 periodic snapshots + the end.
  ASSERT_GE(h.snapshots.size(), 4u);
  ASSERT_LE(h.snapshots.size(), 6u);
  for (size_t i = 0; i + 1 < h.snapshots.size(); ++i) {
    EXPECT_TRUE(std::isnan(h.snapshots[i])) << "mid-run snapshot " << i;
    EXPECT_LT(h.done_at_snapshot[i], 20u);
  }
  EXPECT_FALSE(std::isnan(h.snapshots.back()));
  EXPECT_EQ(h.done_at_snapshot.back(), 20u);
}

TEST(MasterTest, SnapshotIntervalZeroWritesOnlyAtTheEnd) {
  Harness h(20, 2, [](const Assignment&, int) { return SimulatedRun{0, 0, 1.0}; });
  h.Run(0.0);
  EXPECT_EQ(h.snapshots.size(), 1u);
}

TEST(MasterTest, IdleMasterBacksOffInsteadOfSpinning) {
  Harness h(2, 2, [](const Assignment&, int) { return SimulatedRun{0, 0, 10.0}; });
  h.Run();
  // 20 s of simulated waiting; capped back-off of 4 ms means ~5000 sleeps,
  // a spinning loop would need millions of polls.
  EXPECT_LT(h.clock.sleeps, 6000);
  EXPECT_GT(h.clock.sleeps, 20);
}

TEST(MasterTest, ProtocolMismatchAbandonsTheRunWithStatus2) {
  Harness h(4, 3, FailOddRows, kProtocolVersion + 1);
  EXPECT_EQ(h.Run(), 2);
  EXPECT_TRUE(h.cluster.assignments.empty());
  EXPECT_EQ(h.cluster.shutdowns[1].exit_code, 2);
  EXPECT_THAT(h.cluster.shutdowns[1].reason,
              ::testing::HasSubstr("protocol version"));
}

TEST(MasterTest, EmptyManifestEndsAtOnce) {
  Harness h(0, 3, FailOddRows);
  EXPECT_EQ(h.Run(), 0);
  EXPECT_EQ(h.cluster.shutdowns.size(), 2u);
}

}  // namespace
}  // namespace sortie

namespace sortie {
namespace {

TEST(MasterSnapshotTest, FailedMidRunSnapshotIsAWarningButTheFinalOneIsAnError) {
  testing::FakeClock clock;
  RunState state(Specs(10), RunInfo{});
  SimulatedCluster cluster(2, clock, [](const Assignment&, int) {
    return SimulatedRun{0, 0, 1.0};
  });
  testing::MemoryJournal journal;
  int attempts = 0;
  MasterOptions options;
  options.snapshot_interval = 2.0;
  Master master(state, cluster, clock, journal,
                [&](const RunView&) {
                  ++attempts;
                  throw std::runtime_error("disk full");
                },
                nullptr, options);
  EXPECT_THROW(master.Run(), std::runtime_error);
  EXPECT_GE(attempts, 3);  // mid-run failures did not stop the run
  EXPECT_EQ(state.Count(TaskState::kDone), 10u);
  EXPECT_EQ(journal.durable, journal.records.size());
}

}  // namespace
}  // namespace sortie
