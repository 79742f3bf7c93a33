// Followers: ready tasks handed to a worker ahead of time, to start on the
// cores of a task still running there. The worker starts a follower the
// moment its predecessor ends, without waiting for the master, which is
// what lets short tasks run back to back. docs/scheduling.md has the rules.
#include <stdexcept>
#include <string>
#include <utility>

#include "master/scheduler.h"

namespace sortie {

int64_t Scheduler::FollowerFor(uint32_t row) const {
  if (row >= tasks_.size() || tasks_[row].state != State::kRunning) return -1;
  if (heads_.empty()) return -1;
  const Task& task = tasks_[row];
  const std::vector<NodeSlice>& slices = slices_.at(row);
  if (slices.size() != 1) return -1;
  const Node& node = nodes_[static_cast<size_t>(slices[0].node)];
  if (node.exclusive || !node.alive) return -1;
  // Only the overall first ready task may follow: priorities hold.
  const QueueKey head = *heads_.begin();
  if (tasks_[head.row].shape_class != task.shape_class) return -1;
  // A reservation held by another task means it waits for cores: queueing
  // more work behind running tasks would make it wait longer. Held by the
  // candidate itself, following is how it gets cores soonest.
  if (reservation_.active && reservation_.row != head.row) return -1;
  return head.row;
}

void Scheduler::Follow(uint32_t row) {
  if (row >= tasks_.size() || tasks_[row].state != State::kReady) {
    throw std::logic_error("Follow: row " + std::to_string(row) +
                           " is not ready");
  }
  const ShapeClass& c = classes_[tasks_[row].shape_class];
  const QueueKey key = c.queue.top();
  if (key.row != row) {
    throw std::logic_error("Follow: row " + std::to_string(row) +
                           " is not first of its shape");
  }
  PopHead(key);
  tasks_[row].state = State::kFollowing;
  // Place() chooses the next head and its reservation afresh.
  if (reservation_.active && reservation_.row == row) ClearReservation();
}

void Scheduler::Handover(uint32_t from, uint32_t to, double now) {
  if (from >= tasks_.size() || tasks_[from].state != State::kRunning ||
      to >= tasks_.size() || tasks_[to].state != State::kFollowing ||
      tasks_[from].shape_class != tasks_[to].shape_class) {
    throw std::logic_error("Handover: row " + std::to_string(from) +
                           " to row " + std::to_string(to) +
                           " is not a running task and its follower");
  }
  Task& next = tasks_[to];
  // The same map entry, re-keyed: no allocation per handover.
  auto entry = slices_.extract(from);
  entry.key() = to;
  const int32_t node = entry.mapped().at(0).node;
  slices_.insert(std::move(entry));
  tasks_[from].state = State::kIdle;
  next.state = State::kRunning;
  next.end = ExpectedEnd(to, now);
  const ShapeClass& c = classes_[next.shape_class];
  // The node's free cores and GPUs stay as they are: only when its drain
  // time moves does an index change, and then only the drain-time ones.
  const Node& n = nodes_[static_cast<size_t>(node)];
  const DrainIndex::Entry drain_before = DrainEntry(node);
  const double drain_at_before = n.drain_at;
  Detach(node, from);
  Attach(node, to, c.cores, c.gpus);
  if (!n.alive || n.drain_at == drain_at_before) return;
  drain_.Erase(drain_before);
  drain_.Insert(DrainEntry(node));
  if (n.reserved) {
    reservation_.drain_times.erase(
        reservation_.drain_times.find(drain_at_before));
    reservation_.drain_times.insert(n.drain_at);
  }
}

}  // namespace sortie
