// `after` turned around: for each task, the tasks that wait for it. Shared
// by the master and the simulator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "common/task.h"

namespace sortie {

/// The rows that name each row in their `after`, packed into one array: a
/// vector per row would cost 24 bytes a task, and a manifest without any
/// `after` (most large ones) costs nothing.
class Dependants {
 public:
  /// Indexes every `after` entry of `specs` (rows, already resolved).
  explicit Dependants(const std::vector<TaskSpec>& specs);

  /// True when no task names another in `after`.
  bool empty() const { return first_.empty(); }

  /// The rows whose `after` names `row`, in row order.
  std::span<const uint32_t> Of(uint32_t row) const {
    if (first_.empty()) return {};
    return std::span<const uint32_t>(rows_).subspan(
        first_[row], first_[row + 1] - first_[row]);
  }

 private:
  std::vector<size_t> first_;  // row -> start in rows_; empty: no edges
  std::vector<uint32_t> rows_;
};

}  // namespace sortie
