// Lanes: chains of tasks handed to one worker at once, the first running
// and the others (followers) queued on the worker behind it, on the same
// cores. The master keeps the chains so it can tell the scheduler which
// task holds the cores when one ends. Bookkeeping only: no scheduler, no
// messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "common/protocol.h"

namespace sortie {

/// One chain: rows.front() holds the cores now; the rest wait behind it.
struct Lane {
  std::deque<uint32_t> rows;
  int32_t rank = -1;
  TaskGroup group;
};

/// Every open lane, findable by the row it is running.
class Lanes {
 public:
  /// `rows`: how many rows the run has (a hint: more are accepted).
  explicit Lanes(size_t rows = 0) : lane_of_(rows) {}
  /// Opens a lane whose running task is `row`; returns the lane's id.
  size_t Open(uint32_t row, int32_t rank, TaskGroup group);
  /// The lane with this id (valid until the lane closes).
  Lane& Get(size_t id) { return lanes_[id]; }
  /// True when `id` names an open lane.
  bool IsOpen(size_t id) const {
    return id < lanes_.size() && !lanes_[id].rows.empty();
  }
  /// Queues `row` at the back of lane `id`.
  void Append(size_t id, uint32_t row);
  /// Id of the lane whose running task is `row`, or -1 when `row` is not
  /// the running task of a lane.
  int64_t LaneRunning(uint32_t row) const;
  /// The lane's running task `row` ended: returns the follower that holds
  /// the cores now, or -1 when the lane had none (it is closed then).
  int64_t Advance(size_t id);
  /// Number of open lanes.
  size_t Open() const { return lanes_.size() - free_.size(); }

 private:
  std::vector<Lane> lanes_;
  std::vector<size_t> free_;
  // Set(row, id) for the running rows. A vector by row rather than a hash
  // map: every task that ends moves its lane to the next row, and three
  // hash-map operations with a node freed and made were 8% of the master's
  // dispatch loop on no-op function tasks.
  void Set(uint32_t row, size_t id);
  void Clear(uint32_t row) { lane_of_[row] = 0; }
  std::vector<uint32_t> lane_of_;  ///< row -> lane id + 1; 0: not running
};

/// Mean runtime of recent tasks of a shape, to decide how many followers
/// keep a worker busy for about `budget` seconds.
class RuntimeEstimate {
 public:
  /// Feeds one observed runtime (seconds).
  void Observe(double seconds);
  /// Followers to queue behind a running task: enough to cover `budget`
  /// seconds, at most `cap`. Before any observation: one when `hint` (an
  /// est_runtime, <= 0: unknown) is at most `budget`, else none.
  int Depth(double budget, int cap, double hint) const;

 private:
  double mean_ = 0;
  bool known_ = false;
};

}  // namespace sortie
