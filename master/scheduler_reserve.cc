// The reservation (EASY backfill): the first task in order that cannot
// start (the head) holds the nodes it will start on; later tasks may use
// them only if they do not delay it. docs/scheduling.md has the rule.
#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include "master/scheduler.h"

namespace sortie {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

void Scheduler::Reserve(uint32_t row) {
  // Sticky: while the same task is the head it keeps its nodes, so the nodes
  // it waits for drain instead of the choice moving with every release.
  if (reservation_.active && reservation_.row == row) return;
  ClearReservation();
  const ShapeClass& c = classes_[tasks_[row].shape_class];
  reservation_.active = true;
  reservation_.row = row;
  reservation_.whole = c.nodes > 1;
  // CanEverRun() counted with the same exclusion: there are enough nodes.
  reservation_.nodes = drain_.Soonest(c.cores, c.gpus, c.nodes, Exclude(c));
  for (int32_t node : reservation_.nodes) {
    Unindex(node);
    nodes_[static_cast<size_t>(node)].reserved = true;
    Index(node);
  }
}

void Scheduler::ClearReservation() {
  for (int32_t node : reservation_.nodes) {
    Unindex(node);
    nodes_[static_cast<size_t>(node)].reserved = false;
    Index(node);
  }
  reservation_ = Reservation{};
}

Scheduler::Access Scheduler::AccessFor(const ShapeClass& shape_class,
                                       double end, double now) {
  if (!reservation_.active) return Access::kFull;
  if (!reservation_.start_known) ComputeStart(now);
  // Unknown on either side means it might delay the head: not allowed.
  if (std::isfinite(end) && std::isfinite(reservation_.start) &&
      end <= reservation_.start) {
    return Access::kShort;
  }
  if (!reservation_.whole && shape_class.cores <= reservation_.spare_cores &&
      shape_class.gpus <= reservation_.spare_gpus) {
    return Access::kSpare;
  }
  return Access::kNone;
}

void Scheduler::ComputeStart(double now) {
  reservation_.start_known = true;
  reservation_.spare_cores = 0;
  reservation_.spare_gpus = 0;
  if (!reservation_.whole) {
    ComputeSingleNodeStart();
    return;
  }
  // Whole nodes: the head starts when the last of them drains.
  const double last = reservation_.drain_times.empty()
                          ? -kInf
                          : *reservation_.drain_times.rbegin();
  reservation_.start = std::isinf(last) && last < 0 ? now : last;
}

// Walks the reserved node's running tasks by expected end until enough is
// free for the head; what is free beyond that then is spare, and a task of
// any runtime may use it now without delaying the head.
void Scheduler::ComputeSingleNodeStart() {
  reservation_.start = kInf;
  const Node& n = nodes_[static_cast<size_t>(reservation_.nodes.front())];
  const ShapeClass& head = classes_[tasks_[reservation_.row].shape_class];
  std::vector<std::tuple<double, int64_t, int64_t>> ends;
  for (const Occupant& o : n.occupants)
    ends.emplace_back(o.end, o.cores, o.gpus);
  // A node held whole frees all of it at once (its free counts are stale).
  int64_t free_cores = n.exclusive ? 0 : n.free_cores;
  int64_t free_gpus = n.exclusive ? 0 : n.free_gpus;
  std::sort(ends.begin(), ends.end());
  for (const auto& [end, cores, gpus] : ends) {
    if (!std::isfinite(end)) break;  // unknown ends sort last
    if (std::isfinite(reservation_.start) && end > reservation_.start) break;
    free_cores += cores;
    free_gpus += gpus;
    if (free_cores >= head.cores && free_gpus >= head.gpus) {
      reservation_.start = end;  // later tasks ending at the same time count
    }
  }
  if (!std::isfinite(reservation_.start)) return;
  reservation_.spare_cores = free_cores - head.cores;
  reservation_.spare_gpus = free_gpus - head.gpus;
}

}  // namespace sortie
