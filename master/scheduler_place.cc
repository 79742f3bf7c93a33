// Place(): walks the shape classes' first tasks in (priority, row) order,
// packs single-node tasks best-fit and gives multi-node tasks whole nodes.
// The first task that cannot start becomes the head and holds the
// reservation; later ones only backfill (see scheduler_reserve.cc).
#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <utility>

#include "master/scheduler.h"

namespace sortie {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Lowest set bits first, so a task gets the lowest free indices.
std::vector<int32_t> TakeLowest(std::vector<uint64_t>& bits, int64_t count) {
  std::vector<int32_t> ids;
  ids.reserve(static_cast<size_t>(count));
  for (size_t word = 0; word < bits.size(); ++word) {
    while (bits[word] != 0 && static_cast<int64_t>(ids.size()) < count) {
      const int bit = std::countr_zero(bits[word]);
      bits[word] &= bits[word] - 1;
      ids.push_back(static_cast<int32_t>(word * 64) + bit);
    }
  }
  return ids;
}

std::vector<int32_t> FirstN(int64_t count) {
  std::vector<int32_t> ids(static_cast<size_t>(count));
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(i);
  return ids;
}

}  // namespace

std::vector<Placement> Scheduler::Place(double now) {
  std::vector<Placement> out;
  reservation_.start_known = false;
  bool blocked = false;
  auto it = heads_.begin();
  // Every task needs a core: with none free, nothing more can start.
  while (it != heads_.end() &&
         open_.free_cores() + reserved_.free_cores() > 0) {
    const QueueKey key = *it;
    if (TryPlace(key.row, now, blocked, &out)) {
      it = PopHead(key);
      continue;
    }
    // A task that cannot run even on an empty allocation would hold its
    // reservation forever: it waits (for nodes that never come) unreserved.
    if (!blocked && CanEverRun(classes_[tasks_[key.row].shape_class])) {
      blocked = true;
      Reserve(key.row);
    }
    // The class waits behind its first task: the same shape does not fit
    // either. (In backfill a later one with a shorter estimate might; we
    // accept that to look at class heads only.)
    ++it;
  }
  if (!blocked && it == heads_.end()) ClearReservation();
  return out;
}

bool Scheduler::TryPlace(uint32_t row, double now, bool backfill,
                         std::vector<Placement>* out) {
  const ShapeClass& c = classes_[tasks_[row].shape_class];
  tasks_[row].end = ExpectedEnd(row, now);
  const Access access =
      backfill ? AccessFor(c, tasks_[row].end, now) : Access::kFull;
  if (c.nodes == 1) return TryPlaceSingle(row, access, out);
  return TryPlaceWhole(row, access, out);
}

bool Scheduler::TryPlaceSingle(uint32_t row, Access access,
                               std::vector<Placement>* out) {
  const ShapeClass& c = classes_[tasks_[row].shape_class];
  // Unreserved nodes first, so a task that overruns its estimate does not
  // delay the head.
  const int32_t exclude = Exclude(c);
  int32_t node = open_.FindPack(c.cores, c.gpus, exclude);
  if (node < 0 && access != Access::kNone) {
    node = reserved_.FindPack(c.cores, c.gpus, exclude);
    if (node >= 0 && access == Access::kSpare) {
      reservation_.spare_cores -= c.cores;
      reservation_.spare_gpus -= c.gpus;
    }
  }
  if (node < 0) return false;
  Node& n = nodes_[static_cast<size_t>(node)];
  Unindex(node);
  NodeSlice slice{node, TakeLowest(n.core_bits, c.cores),
                  TakeLowest(n.gpu_bits, c.gpus)};
  n.free_cores -= static_cast<int32_t>(c.cores);
  n.free_gpus -= static_cast<int32_t>(c.gpus);
  Attach(node, row, c.cores, c.gpus);
  Index(node);
  std::vector<NodeSlice> slices;
  slices.push_back(std::move(slice));
  Start(row, std::move(slices), out);
  return true;
}

bool Scheduler::TryPlaceWhole(uint32_t row, Access access,
                              std::vector<Placement>* out) {
  const ShapeClass& c = classes_[tasks_[row].shape_class];
  const int32_t exclude = Exclude(c);
  const int64_t open = open_.CountWhole(c.cores, c.gpus, exclude);
  // A whole reserved node is one the head waits for: only a task that
  // ends before the head starts may borrow it.
  const bool may_borrow = access == Access::kFull || access == Access::kShort;
  if (open < c.nodes &&
      (!may_borrow ||
       open + reserved_.CountWhole(c.cores, c.gpus, exclude) < c.nodes)) {
    return false;
  }
  std::vector<int32_t> picked;
  open_.PickWhole(c.cores, c.gpus, std::min(open, c.nodes), exclude, &picked);
  reserved_.PickWhole(c.cores, c.gpus,
                      c.nodes - static_cast<int64_t>(picked.size()), exclude,
                      &picked);
  std::sort(picked.begin(), picked.end());
  std::vector<NodeSlice> slices;
  for (int32_t node : picked) {
    Unindex(node);
    const Node& n = nodes_[static_cast<size_t>(node)];
    nodes_[static_cast<size_t>(node)].exclusive = true;
    // The whole node is the task's until it ends.
    Attach(node, row, n.capacity.cores, n.capacity.gpus);
    Index(node);
    slices.push_back({node, FirstN(c.cores), FirstN(c.gpus)});
  }
  Start(row, std::move(slices), out);
  return true;
}

void Scheduler::Start(uint32_t row, std::vector<NodeSlice> slices,
                      std::vector<Placement>* out) {
  Task& task = tasks_[row];
  task.state = State::kRunning;
  slices_[row] = slices;
  ++running_;
  out->push_back({row, std::move(slices)});
  if (reservation_.active && reservation_.row == row) ClearReservation();
}

double Scheduler::ExpectedEnd(uint32_t row, double now) const {
  const double runtime = shapes_[row].est_runtime;
  if (!(runtime >= 0)) return kInf;  // negative or NaN: unknown
  return now + runtime;
}

bool Scheduler::CanEverRun(const ShapeClass& shape_class) const {
  // Same exclusion as Reserve(): a class that may run only on the excluded
  // node must not become the head, or it would reserve nothing.
  return drain_.CountCapable(shape_class.cores, shape_class.gpus,
                             Exclude(shape_class)) >= shape_class.nodes;
}

}  // namespace sortie
