#include "master/lanes.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace sortie {

size_t Lanes::Open(uint32_t row, int32_t rank, TaskGroup group) {
  size_t id;
  if (free_.empty()) {
    id = lanes_.size();
    lanes_.emplace_back();
  } else {
    id = free_.back();
    free_.pop_back();
  }
  Lane& lane = lanes_[id];
  lane.rows.assign(1, row);
  lane.rank = rank;
  lane.group = std::move(group);
  Set(row, id);
  return id;
}

void Lanes::Append(size_t id, uint32_t row) { lanes_[id].rows.push_back(row); }

int64_t Lanes::LaneRunning(uint32_t row) const {
  if (row >= lane_of_.size() || lane_of_[row] == 0) return -1;
  return static_cast<int64_t>(lane_of_[row]) - 1;
}

int64_t Lanes::Advance(size_t id) {
  Lane& lane = lanes_[id];
  Clear(lane.rows.front());
  lane.rows.pop_front();
  if (lane.rows.empty()) {
    free_.push_back(id);
    return -1;
  }
  Set(lane.rows.front(), id);
  return lane.rows.front();
}

void Lanes::Set(uint32_t row, size_t id) {
  if (row >= lane_of_.size()) lane_of_.resize(size_t{row} + 1);
  lane_of_[row] = static_cast<uint32_t>(id + 1);
}

void RuntimeEstimate::Observe(double seconds) {
  if (!(seconds >= 0)) return;
  // Recent tasks weigh most: a sweep's later tasks may be longer.
  mean_ = known_ ? 0.9 * mean_ + 0.1 * seconds : seconds;
  known_ = true;
}

int RuntimeEstimate::Depth(double budget, int cap, double hint) const {
  double runtime = known_ ? mean_ : (hint > 0 ? hint : INFINITY);
  // An est_runtime is only the user's word: one follower at most until a
  // task of the shape has ended, so a far too short estimate costs a
  // higher-priority task that becomes ready later one task's wait per
  // lane, not a whole budget of them.
  if (!known_) cap = std::min(cap, 1);
  if (runtime <= 0) return cap;
  double depth = std::floor(budget / runtime);
  return depth >= cap ? cap : static_cast<int>(depth);
}

}  // namespace sortie
