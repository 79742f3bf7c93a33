// Helpers shared by the scheduler's unit tests (scheduler_*_test.cc): task
// shapes in one call, nodes and queues set up in bulk, the rows of a Place()
// answer, and a fake clock that runs a scheduler until nothing is left.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

#include "master/scheduler.h"

namespace sortie {

/// TaskShape::est_runtime for a task that gives no runtime.
inline constexpr double kUnknown = -1.0;

/// NodeCapacity::runs_functions of the master's node: commands only.
inline constexpr bool kNoFunctions = false;

/// A command task of `nodes` nodes with `ranks_per_node` ranks of
/// `cores_per_rank` cores and `gpus_per_rank` GPUs each.
inline TaskShape Shape(int32_t nodes, int32_t ranks_per_node,
                       int32_t cores_per_rank, int32_t gpus_per_rank = 0,
                       int32_t priority = 0, double est_runtime = kUnknown) {
  TaskShape s;
  s.nodes = nodes;
  s.ranks_per_node = ranks_per_node;
  s.cores_per_rank = cores_per_rank;
  s.gpus_per_rank = gpus_per_rank;
  s.priority = priority;
  s.est_runtime = est_runtime;
  return s;
}

/// A one-node, one-rank command task of `cores` cores, priority 0.
inline TaskShape Cores(int32_t cores, double est_runtime = kUnknown) {
  return Shape(1, 1, cores, 0, 0, est_runtime);
}

/// `shape` as an in-process function task: never on the master's node.
inline TaskShape Function(TaskShape shape) {
  shape.function = true;
  return shape;
}

/// The rows of `placements`, in their order.
inline std::vector<uint32_t> Rows(const std::vector<Placement>& placements) {
  std::vector<uint32_t> rows;
  for (const Placement& p : placements) rows.push_back(p.row);
  return rows;
}

/// Adds `count` nodes of `cores` cores and `gpus` GPUs that run functions.
inline void AddNodes(Scheduler& s, int count, int32_t cores, int32_t gpus = 0) {
  for (int i = 0; i < count; ++i) s.AddNode({cores, gpus});
}

/// Makes rows 0 to `rows` - 1 ready, in row order.
inline void ReadyAll(Scheduler& s, uint32_t rows) {
  for (uint32_t r = 0; r < rows; ++r) s.MakeReady(r);
}

/// Drives a scheduler with a fake clock: each placed task runs for its
/// `runtimes` entry and is released when that time comes.
class Simulation {
 public:
  /// Drives `scheduler`, which must outlive this; `runtimes` has one entry
  /// per row.
  Simulation(Scheduler& scheduler, std::vector<double> runtimes)
      : s_(scheduler),
        runtimes_(std::move(runtimes)),
        starts_(runtimes_.size(), -1.0),
        leaders_(runtimes_.size(), -1) {}

  /// Places at the current time, then jumps to the next end and releases
  /// every task ending then. False when nothing is left running.
  bool Step() {
    ++places_;
    for (const Placement& p : s_.Place(now_)) {
      starts_[p.row] = now_;
      leaders_[p.row] = p.slices[0].node;
      ends_.emplace(now_ + runtimes_[p.row], p.row);
    }
    if (ends_.empty()) return false;
    now_ = ends_.top().first;
    while (!ends_.empty() && ends_.top().first == now_) {
      s_.Release(ends_.top().second, now_);
      ends_.pop();
    }
    return true;
  }
  /// Steps until nothing is left running.
  void Run() {
    while (Step()) {
    }
  }
  /// When `row` (last) started; -1 if it never did.
  double start(uint32_t row) const { return starts_[row]; }
  /// The leader node (slices[0]) of `row`'s last start; -1 if it never ran.
  int32_t leader(uint32_t row) const { return leaders_[row]; }
  /// How many times Place() was called.
  long places() const { return places_; }
  /// The fake clock's time.
  double now() const { return now_; }

 private:
  using End = std::pair<double, uint32_t>;
  Scheduler& s_;
  std::vector<double> runtimes_;
  std::vector<double> starts_;
  std::vector<int32_t> leaders_;  ///< slices[0].node
  std::priority_queue<End, std::vector<End>, std::greater<End>> ends_;
  double now_ = 0;
  long places_ = 0;
};

}  // namespace sortie
