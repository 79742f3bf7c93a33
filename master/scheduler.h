// Which task goes to which rank next. For now: manifest order, first come
// first served, one task per free slot.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <vector>

namespace sortie {

/// One decision: run `row` on `rank`.
struct Placement {
  int rank = -1;
  uint32_t row = 0;
};

/// Hands pending tasks to ranks with free slots.
class Scheduler {
 public:
  /// Rows 0..task_count-1 are pending, in manifest order.
  explicit Scheduler(uint32_t task_count);
  /// `rank` can run `slots` tasks at once from now on.
  void AddRank(int rank, int slots);
  /// Takes `rank` out: it gets nothing more.
  void RemoveRank(int rank);
  /// A task on `rank` ended: its slot is free again.
  void Release(int rank);
  /// Fills every free slot with a pending task, in manifest order.
  std::vector<Placement> Place();
  /// True while some task has not been placed.
  bool HasPending() const { return !pending_.empty(); }

 private:
  std::deque<uint32_t> pending_;
  std::map<int, int> free_slots_;  ///< ordered: low ranks fill first
};

}  // namespace sortie
