// Shared by the master's unit tests (master_test.cc, master_*_test.cc and
// roster_test.cc): a manifest of trivial tasks, a Master run end to end on a
// simulated cluster with a fake clock and an in-memory journal, and a run
// that fails odd rows.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "fakes.h"
#include "master/master.h"

namespace sortie {

/// `n` tasks with ids "t0", "t1", ... that each run /bin/true.
inline std::vector<TaskSpec> Specs(int n) {
  std::vector<TaskSpec> specs(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    specs[static_cast<size_t>(i)].id = "t" + std::to_string(i);
    specs[static_cast<size_t>(i)].command = {"/bin/true"};
  }
  return specs;
}

/// A run's state, simulated cluster, fake clock and journal, and what each
/// snapshot showed once Run() has driven a Master to the end.
struct Harness {
  /// `ranks` ranks; ranks 1.. serve one node each with `cores` cores.
  Harness(int tasks, int ranks, testing::SimulatedCluster::RunFn run,
          int cores = 1)
      : Harness(Specs(tasks), ranks, std::move(run), cores) {}
  /// As above, for the tasks `specs`.
  Harness(std::vector<TaskSpec> specs, int ranks,
          testing::SimulatedCluster::RunFn run, int cores)
      : state(std::move(specs), RunInfo{}),
        cluster(ranks, clock, std::move(run)),
        nodes(testing::Nodes(1, ranks - 1, cores)) {}

  /// Runs a Master with `options` to the end, snapshotting every
  /// `snapshot_interval` seconds (0: only at the end); returns its exit
  /// status.
  int Run(double snapshot_interval = 30.0) {
    options.snapshot_interval = snapshot_interval;
    Master master(
        state, cluster, clock, journal,
        [this](const RunView& view) {
          snapshots.push_back(view.info.finished_at);
          written_at.push_back(view.info.written_at);
          done_at_snapshot.push_back(state.Count(TaskState::kDone) +
                                     state.Count(TaskState::kFailed));
          task_nodes.clear();
          for (size_t i = 0; i < view.task_nodes.size(); ++i) {
            task_nodes.push_back(view.task_nodes[i]);
          }
        },
        nullptr, nodes, options);
    return master.Run();
  }

  testing::FakeClock clock;
  RunState state;
  testing::SimulatedCluster cluster;
  testing::MemoryJournal journal;
  std::vector<double> snapshots;         ///< finished_at of each snapshot
  std::vector<double> written_at;        ///< written_at of each snapshot
  std::vector<size_t> done_at_snapshot;  ///< DONE + FAILED at each snapshot
  std::vector<ClusterNode> nodes;
  std::vector<std::string> task_nodes;  ///< as of the last snapshot
  MasterOptions options;
};

/// Each task takes one second; even rows exit 0, odd rows exit 1.
inline testing::SimulatedRun FailOddRows(const Assignment& a, int) {
  return testing::SimulatedRun{static_cast<int>(a.row % 2), 0, 1.0};
}

}  // namespace sortie
