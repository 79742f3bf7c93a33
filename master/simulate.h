// `sortie simulate`'s engine: the real Scheduler against a virtual clock.
// Every task runs for its est_runtime (or a default), so a manifest's
// makespan on N nodes is known in seconds of real time, and the scheduler's
// own cost per decision is measured at scale. No I/O, no MPI. What is and is
// not modelled: docs/simulate.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/task.h"
#include "master/manifest.h"

namespace sortie {

/// The simulated allocation: `nodes` identical nodes. Node 0 is the
/// master's, as in `sortie run` with one rank per node: it runs commands but
/// no function task.
struct SimMachine {
  int32_t nodes = 1;
  int32_t cores_per_node = 1;
  int32_t gpus_per_node = 0;
};

/// What a simulation is asked to do.
struct SimulateOptions {
  SimMachine machine;
  /// Seconds a task without est_runtime runs; NaN: such a task is an error.
  /// The scheduler still sees the task's estimate as unknown, as in a run.
  double default_runtime = kNoTime;
};

/// What one simulation found. Times are virtual seconds from the start.
struct SimulateResult {
  size_t tasks = 0;
  size_t done = 0;       ///< ended DONE
  size_t timed_out = 0;  ///< every attempt outlived `timeout`
  size_t skipped = 0;    ///< after a timed-out (or skipped) task: never ran
  size_t attempts = 0;   ///< placements, retries of timed-out tasks included
  double makespan = 0;   ///< when the last task ended
  /// Node-seconds the tasks held: whole nodes for a multi-node task, the
  /// task's share of a node's cores for a packed one.
  double node_seconds = 0;
  /// The same, counting shares of GPUs instead of cores (0 without GPUs).
  double gpu_node_seconds = 0;
  double longest_task = 0;   ///< longest time one task ran, retries summed
  double critical_path = 0;  ///< longest chain of `after` dependencies
  /// No schedule ends sooner: the larger of node_seconds / nodes,
  /// gpu_node_seconds / nodes and critical_path.
  double lower_bound = 0;
  size_t place_calls = 0;        ///< Scheduler::Place() calls
  double scheduler_seconds = 0;  ///< real time spent inside the scheduler
  double utilization = 0;        ///< node_seconds / (nodes * makespan)
  double ratio = 0;              ///< makespan / lower_bound (0 if both 0)
};

/// The smallest node every task of `specs` fits on: the most cores (and
/// GPUs) any task asks for on one node; at least 1 core.
SimMachine WidestNode(const std::vector<TaskSpec>& specs, int32_t nodes);

/// One FILE:LINE error per task that cannot be simulated on `options`:
/// one that could never fit the machine (the same words as `sortie run`),
/// or one with no est_runtime when there is no default runtime. Empty when
/// Simulate() may run.
std::vector<ManifestError> CheckSimulatable(const Manifest& manifest,
                                            const SimulateOptions& options);

/// Runs every task of `specs` (rows = indices) through the Scheduler on a
/// virtual clock until all have ended or been skipped. Their `after` lists
/// must hold rows with no cycle, as LoadManifest leaves them. Throws
/// std::invalid_argument for a task with no runtime, a cycle or no nodes,
/// and std::logic_error when some task never fits: call CheckSimulatable()
/// first.
SimulateResult Simulate(const std::vector<TaskSpec>& specs,
                        const SimulateOptions& options);

}  // namespace sortie
