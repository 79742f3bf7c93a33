// The scheduler's state: task queues by shape class, node bookkeeping and
// the indexes kept in step with it. Placing is in scheduler_place.cc, the
// reservation in scheduler_reserve.cc.
#include "master/scheduler.h"

#include <algorithm>
#include <array>
#include <bit>
#include <limits>
#include <map>
#include <stdexcept>
#include <utility>

namespace sortie {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<uint64_t> AllSet(int32_t count) {
  const auto n = static_cast<size_t>(count);
  std::vector<uint64_t> bits((n + 63) / 64, ~uint64_t{0});
  if (n % 64 != 0) bits.back() = (uint64_t{1} << (n % 64)) - 1;
  return bits;
}

void GiveBack(std::vector<uint64_t>& bits, const std::vector<int32_t>& ids) {
  for (int32_t id : ids) {
    const auto i = static_cast<size_t>(id);
    bits[i / 64] |= uint64_t{1} << (i % 64);
  }
}

}  // namespace

bool Scheduler::Before::operator()(const QueueKey& a, const QueueKey& b) const {
  if (a.priority != b.priority) return a.priority > b.priority;
  return a.row < b.row;
}

Scheduler::Scheduler(std::vector<TaskShape> shapes)
    : shapes_(std::move(shapes)), tasks_(shapes_.size()) {
  // Function and command tasks of the same size may run on different
  // nodes: separate classes.
  // Consecutive rows mostly share a class: the map is consulted only when
  // a row's shape differs from the previous row's.
  std::map<std::array<int32_t, 5>, uint32_t> class_of;
  std::array<int32_t, 5> last_key{};
  uint32_t last_class = 0;
  for (size_t row = 0; row < shapes_.size(); ++row) {
    const TaskShape& s = shapes_[row];
    const std::array<int32_t, 5> key = {s.nodes, s.ranks_per_node,
                                        s.cores_per_rank, s.gpus_per_rank,
                                        s.function ? 1 : 0};
    if (row == 0 || key != last_key) {
      auto [it, added] =
          class_of.emplace(key, static_cast<uint32_t>(classes_.size()));
      if (added) {
        ShapeClass& c = classes_.emplace_back();
        c.nodes = s.nodes;
        c.cores = int64_t{s.ranks_per_node} * s.cores_per_rank;
        c.gpus = int64_t{s.ranks_per_node} * s.gpus_per_rank;
        c.function = s.function;
        // The fields ShapeProblem looks at are the class's key.
        c.valid = ShapeProblem(s).empty();
      }
      last_key = key;
      last_class = it->second;
    }
    tasks_[row].shape_class = last_class;
    if (s.priority != shapes_[0].priority) uniform_priority_ = false;
  }
}

int32_t Scheduler::AddNode(NodeCapacity capacity) {
  if (capacity.cores < 0 || capacity.gpus < 0) {
    throw std::invalid_argument("node capacity cannot be negative");
  }
  // One excluded node lets the indexes skip it in O(1) instead of keeping
  // an index per eligibility.
  if (!capacity.runs_functions && no_functions_ >= 0) {
    throw std::invalid_argument(
        "only one node may refuse function tasks; node " +
        std::to_string(no_functions_) + " already does");
  }
  const auto id = static_cast<int32_t>(nodes_.size());
  if (!capacity.runs_functions) no_functions_ = id;
  Node& node = nodes_.emplace_back();
  node.capacity = capacity;
  node.free_cores = capacity.cores;
  node.free_gpus = capacity.gpus;
  node.core_bits = AllSet(capacity.cores);
  node.gpu_bits = AllSet(capacity.gpus);
  node.drain_at = -kInf;
  Index(id);
  return id;
}

void Scheduler::RemoveNode(int32_t node) {
  if (node < 0 || static_cast<size_t>(node) >= nodes_.size()) {
    throw std::out_of_range("RemoveNode: no such node");
  }
  Node& n = nodes_[static_cast<size_t>(node)];
  if (!n.alive) return;
  Unindex(node);
  n.alive = false;
  // The head cannot wait for a node that is gone: choose again next Place().
  if (n.reserved) ClearReservation();
}

void Scheduler::MakeReady(uint32_t row) {
  if (row >= tasks_.size()) throw std::out_of_range("MakeReady: no such row");
  Task& task = tasks_[row];
  if (task.state != State::kIdle) {
    throw std::logic_error("MakeReady: row " + std::to_string(row) +
                           " is already queued or running");
  }
  ShapeClass& c = classes_[task.shape_class];
  if (!c.valid) {
    throw std::invalid_argument("MakeReady: row " + std::to_string(row) + " " +
                                ShapeProblem(shapes_[row]));
  }
  const QueueKey key{shapes_[row].priority, row};
  if (c.queue.empty()) {
    heads_.insert(key);
  } else if (Before{}(key, c.queue.top())) {
    heads_.erase(c.queue.top());
    heads_.insert(key);
  }
  c.queue.push(key);
  task.state = State::kReady;
  ++ready_;
}

void Scheduler::Release(uint32_t row, double /*now*/) {
  // Nothing depends on when a task really ended: reservations look only at
  // the expected ends of the tasks still running.
  if (row >= tasks_.size() || tasks_[row].state != State::kRunning) {
    throw std::logic_error("Release: row " + std::to_string(row) +
                           " is not running");
  }
  Task& task = tasks_[row];
  auto slices = slices_.find(row);
  for (const NodeSlice& slice : slices->second) {
    Node& n = nodes_[static_cast<size_t>(slice.node)];
    Unindex(slice.node);
    Detach(slice.node, row);
    if (n.exclusive) {
      n.exclusive = false;  // its bits were never taken
    } else {
      GiveBack(n.core_bits, slice.cores);
      GiveBack(n.gpu_bits, slice.gpus);
      n.free_cores += static_cast<int32_t>(slice.cores.size());
      n.free_gpus += static_cast<int32_t>(slice.gpus.size());
    }
    Index(slice.node);
  }
  slices_.erase(slices);
  task.state = State::kIdle;
  --running_;
}

std::set<Scheduler::QueueKey, Scheduler::Before>::iterator Scheduler::PopHead(
    QueueKey head) {
  ShapeClass& c = classes_[tasks_[head.row].shape_class];
  // The set's node is reused for the class's next task: no allocation per
  // task taken.
  auto entry = heads_.extract(head);
  c.queue.pop();
  --ready_;
  if (!c.queue.empty()) {
    entry.value() = c.queue.top();
    heads_.insert(std::move(entry));
  }
  // The class's next task sorts after `head`, so it is not skipped.
  return heads_.upper_bound(head);
}

// Index and Unindex bracket every change to a node, so the indexes always
// hold exactly the entries computed from the node's current state (Handover
// updates only the entries that change).
void Scheduler::Index(int32_t node) {
  const Node& n = nodes_[static_cast<size_t>(node)];
  if (!n.alive) return;
  drain_.Insert(DrainEntry(node));
  if (n.reserved) reservation_.drain_times.insert(n.drain_at);
  if (!n.exclusive) (n.reserved ? reserved_ : open_).Insert(FreeEntry(node));
}

void Scheduler::Unindex(int32_t node) {
  const Node& n = nodes_[static_cast<size_t>(node)];
  if (!n.alive) return;
  drain_.Erase(DrainEntry(node));
  if (n.reserved) {
    reservation_.drain_times.erase(reservation_.drain_times.find(n.drain_at));
  }
  if (!n.exclusive) (n.reserved ? reserved_ : open_).Erase(FreeEntry(node));
}

FreeNodeIndex::Entry Scheduler::FreeEntry(int32_t node) const {
  const Node& n = nodes_[static_cast<size_t>(node)];
  return {node, n.free_cores, n.free_gpus, {n.capacity.gpus, n.capacity.cores}};
}

DrainIndex::Entry Scheduler::DrainEntry(int32_t node) const {
  const Node& n = nodes_[static_cast<size_t>(node)];
  const int32_t busy_cores =
      n.exclusive ? n.capacity.cores : n.capacity.cores - n.free_cores;
  const int32_t busy_gpus =
      n.exclusive ? n.capacity.gpus : n.capacity.gpus - n.free_gpus;
  return {n.drain_at,
          busy_cores,
          busy_gpus,
          node,
          {n.capacity.gpus, n.capacity.cores}};
}

void Scheduler::Attach(int32_t node, uint32_t row, int64_t cores,
                       int64_t gpus) {
  Node& n = nodes_[static_cast<size_t>(node)];
  const double end = tasks_[row].end;
  n.occupants.push_back({row, end, cores, gpus});
  n.drain_at = std::max(n.drain_at, end);
}

void Scheduler::Detach(int32_t node, uint32_t row) {
  Node& n = nodes_[static_cast<size_t>(node)];
  auto it = std::find_if(n.occupants.begin(), n.occupants.end(),
                         [row](const Occupant& o) { return o.row == row; });
  const double end = it->end;
  *it = n.occupants.back();
  n.occupants.pop_back();
  if (end < n.drain_at) return;  // another task still ends last
  n.drain_at = -kInf;
  for (const Occupant& o : n.occupants)
    n.drain_at = std::max(n.drain_at, o.end);
}

}  // namespace sortie
