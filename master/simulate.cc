// The discrete-event loop of `sortie simulate`: a min-heap of expected ends
// drives the same Scheduler calls the master makes (MakeReady, Place,
// Release), with virtual seconds instead of the monotonic clock.
#include "master/simulate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <queue>
#include <stdexcept>
#include <string>
#include <utility>

#include "master/dependants.h"
#include "master/fit_check.h"
#include "master/master.h"
#include "master/scheduler.h"

namespace sortie {
namespace {

// What a task will do, decided by its spec alone: every attempt lasts the
// same, so a task that outlives its timeout does so on every attempt.
struct TaskPlan {
  double attempt = 0;  ///< seconds one attempt runs
  int32_t attempts = 1;
  bool times_out = false;
  bool skipped = false;  ///< comes after a task that times out (or is skipped)
};

double Duration(const TaskSpec& spec, double default_runtime) {
  return spec.est_runtime > 0 ? spec.est_runtime : default_runtime;
}

TaskPlan PlanOf(const TaskSpec& spec, double default_runtime) {
  TaskPlan plan;
  plan.attempt = Duration(spec, default_runtime);
  if (!(plan.attempt >= 0)) {
    throw std::invalid_argument("task \"" + spec.id +
                                "\" has no est_runtime and there is no "
                                "default runtime");
  }
  if (spec.timeout > 0 && plan.attempt > spec.timeout) {
    plan.attempt = spec.timeout;
    plan.attempts = 1 + spec.retries;
    plan.times_out = true;
  }
  return plan;
}

// The task's share of the machine while it runs, in nodes: whole nodes for
// a multi-node task, its part of one node's cores (or GPUs) otherwise.
double NodeShare(const TaskSpec& spec, int64_t need, int32_t per_node) {
  if (per_node <= 0) return 0;
  if (spec.nodes > 1) return spec.nodes;
  return static_cast<double>(need) / per_node;
}

std::vector<TaskShape> Shapes(const std::vector<TaskSpec>& specs) {
  std::vector<TaskShape> shapes;
  shapes.reserve(specs.size());
  for (const TaskSpec& spec : specs) shapes.push_back(ShapeOf(spec));
  return shapes;
}

class Simulation {
 public:
  Simulation(const std::vector<TaskSpec>& specs, const SimulateOptions& options)
      : specs_(specs),
        machine_(options.machine),
        dependants_(specs),
        scheduler_(Shapes(specs)) {
    plans_.reserve(specs.size());
    for (const TaskSpec& spec : specs) {
      plans_.push_back(PlanOf(spec, options.default_runtime));
    }
    for (int32_t node = 0; node < machine_.nodes; ++node) {
      // Node 0 stands for the master's, as in `sortie run`.
      scheduler_.AddNode(NodeCapacity{machine_.cores_per_node,
                                      machine_.gpus_per_node, node != 0});
    }
  }

  SimulateResult Run();

 private:
  using Event = std::pair<double, uint32_t>;  // (end, row), earliest first
  using Timer = std::chrono::steady_clock;

  void Analyse();
  void Dispatch(double now);
  void End(uint32_t row);
  void MakeReady(uint32_t row);
  void Finish();

  const std::vector<TaskSpec>& specs_;
  SimMachine machine_;
  Dependants dependants_;
  std::vector<TaskPlan> plans_;
  std::vector<int32_t> attempts_made_;
  std::vector<uint32_t> waiting_;  ///< row -> prerequisites not yet DONE
  Scheduler scheduler_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  Timer::duration in_scheduler_{};
  SimulateResult result_;
};

// Everything that does not depend on the schedule, in one pass in
// dependency order (Kahn's): which tasks are skipped, the critical path and
// the node-seconds.
void Simulation::Analyse() {
  const size_t n = specs_.size();
  std::vector<double> ready_at(n, 0.0);  // when its prerequisites end
  std::vector<uint32_t> left(n);
  std::vector<uint32_t> order;
  order.reserve(n);
  for (uint32_t row = 0; row < n; ++row) {
    left[row] = static_cast<uint32_t>(specs_[row].after.size());
    if (left[row] == 0) order.push_back(row);
  }
  for (size_t i = 0; i < order.size(); ++i) {
    const uint32_t row = order[i];
    TaskPlan& plan = plans_[row];
    const double ran = plan.skipped ? 0 : plan.attempt * plan.attempts;
    const double end = ready_at[row] + ran;
    if (!plan.skipped) {
      result_.longest_task = std::max(result_.longest_task, ran);
      result_.critical_path = std::max(result_.critical_path, end);
      const TaskSpec& spec = specs_[row];
      const int64_t per_node = int64_t{spec.ranks_per_node};
      result_.node_seconds +=
          ran * NodeShare(spec, per_node * spec.cores_per_rank,
                          machine_.cores_per_node);
      result_.gpu_node_seconds +=
          ran * NodeShare(spec, per_node * spec.gpus_per_rank,
                          machine_.gpus_per_node);
    }
    const bool poisons = plan.skipped || plan.times_out;
    for (const uint32_t next : dependants_.Of(row)) {
      ready_at[next] = std::max(ready_at[next], end);
      plans_[next].skipped = plans_[next].skipped || poisons;
      if (--left[next] == 0) order.push_back(next);
    }
  }
  if (order.size() != n) {
    throw std::invalid_argument("the tasks' after lists form a cycle");
  }
  const double nodes = machine_.nodes;
  result_.lower_bound =
      std::max({result_.node_seconds / nodes, result_.gpu_node_seconds / nodes,
                result_.critical_path});
}

SimulateResult Simulation::Run() {
  result_.tasks = specs_.size();
  Analyse();
  attempts_made_.assign(specs_.size(), 0);
  waiting_.resize(specs_.size());
  for (uint32_t row = 0; row < specs_.size(); ++row) {
    waiting_[row] = static_cast<uint32_t>(specs_[row].after.size());
    if (waiting_[row] == 0 && !plans_[row].skipped) MakeReady(row);
  }
  double now = 0;
  Dispatch(now);
  while (!events_.empty()) {
    now = events_.top().first;
    // Everything ending at the same instant is released before placing,
    // as the master does with one batch of Finished messages.
    while (!events_.empty() && events_.top().first == now) {
      const uint32_t row = events_.top().second;
      events_.pop();
      const Timer::time_point t0 = Timer::now();
      scheduler_.Release(row, now);
      in_scheduler_ += Timer::now() - t0;
      End(row);
    }
    Dispatch(now);
  }
  if (scheduler_.Ready() > 0) {
    throw std::logic_error(std::to_string(scheduler_.Ready()) +
                           " tasks never fit the simulated nodes");
  }
  result_.makespan = now;
  Finish();
  return result_;
}

void Simulation::Dispatch(double now) {
  const Timer::time_point t0 = Timer::now();
  std::vector<Placement> placements = scheduler_.Place(now);
  in_scheduler_ += Timer::now() - t0;
  ++result_.place_calls;
  for (const Placement& placement : placements) {
    events_.emplace(now + plans_[placement.row].attempt, placement.row);
  }
  result_.attempts += placements.size();
}

// What the master's AfterEnd does, for outcomes known in advance: another
// attempt while retries last, else the task's dependants may go.
void Simulation::End(uint32_t row) {
  const TaskPlan& plan = plans_[row];
  if (++attempts_made_[row] < plan.attempts) {
    MakeReady(row);
    return;
  }
  if (plan.times_out) {
    ++result_.timed_out;
    return;  // its dependants were marked skipped by Analyse()
  }
  ++result_.done;
  for (const uint32_t next : dependants_.Of(row)) {
    if (--waiting_[next] == 0 && !plans_[next].skipped) MakeReady(next);
  }
}

void Simulation::MakeReady(uint32_t row) {
  const Timer::time_point t0 = Timer::now();
  scheduler_.MakeReady(row);
  in_scheduler_ += Timer::now() - t0;
}

void Simulation::Finish() {
  for (const TaskPlan& plan : plans_) result_.skipped += plan.skipped ? 1 : 0;
  result_.scheduler_seconds =
      std::chrono::duration<double>(in_scheduler_).count();
  const double capacity = double{1.0} * machine_.nodes * result_.makespan;
  result_.utilization = capacity > 0 ? result_.node_seconds / capacity : 0;
  result_.ratio =
      result_.lower_bound > 0 ? result_.makespan / result_.lower_bound : 0;
}

}  // namespace

SimMachine WidestNode(const std::vector<TaskSpec>& specs, int32_t nodes) {
  SimMachine machine{nodes, 1, 0};
  for (const TaskSpec& spec : specs) {
    const int64_t cores = int64_t{spec.ranks_per_node} * spec.cores_per_rank;
    const int64_t gpus = int64_t{spec.ranks_per_node} * spec.gpus_per_rank;
    machine.cores_per_node = static_cast<int32_t>(
        std::clamp<int64_t>(cores, machine.cores_per_node, INT32_MAX));
    machine.gpus_per_node = static_cast<int32_t>(
        std::clamp<int64_t>(gpus, machine.gpus_per_node, INT32_MAX));
  }
  return machine;
}

std::vector<ManifestError> CheckSimulatable(const Manifest& manifest,
                                            const SimulateOptions& options) {
  const SimMachine& m = options.machine;
  std::vector<NodeCapacity> nodes(
      static_cast<size_t>(std::max(m.nodes, 0)),
      NodeCapacity{m.cores_per_node, m.gpus_per_node, true});
  if (!nodes.empty()) nodes.front().runs_functions = false;
  std::vector<ManifestError> errors = CheckFits(manifest, nodes);
  if (options.default_runtime >= 0) return errors;
  for (const TaskSpec& spec : manifest.tasks) {
    if (spec.est_runtime > 0) continue;
    errors.push_back(ManifestError{
        manifest.path, spec.line,
        "task \"" + spec.id +
            "\" has no est_runtime; give one, or --default-runtime"});
  }
  std::stable_sort(errors.begin(), errors.end(),
                   [](const ManifestError& a, const ManifestError& b) {
                     return a.line < b.line;
                   });
  return errors;
}

SimulateResult Simulate(const std::vector<TaskSpec>& specs,
                        const SimulateOptions& options) {
  if (options.machine.nodes < 1) {
    throw std::invalid_argument("a simulation needs at least one node");
  }
  Simulation simulation(specs, options);
  return simulation.Run();
}

}  // namespace sortie
