// The spec digest of every task, computed ahead of the tasks' starts on a
// thread at idle priority (see docs/journal.md, TaskStarted).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include "master/run_state.h"

namespace sortie {

/// RunState::SpecHash of every row, taken in row order on a thread of its
/// own at idle priority: each TaskStarted record carries its task's digest,
/// and computing it on the master's loop was a tenth of the loop's time for
/// short tasks. Rows the thread has not reached yet are hashed on demand.
class SpecHashesAhead {
 public:
  /// Starts hashing the rows of `state`, which must outlive this object.
  explicit SpecHashesAhead(const RunState& state);
  /// Stops the thread (where it is) and joins it.
  ~SpecHashesAhead();
  SpecHashesAhead(const SpecHashesAhead&) = delete;
  SpecHashesAhead& operator=(const SpecHashesAhead&) = delete;

  /// state.SpecHash(row).
  uint64_t Get(uint32_t row) const;

 private:
  void Run();

  const RunState& state_;
  const size_t rows_;
  // Not zeroed here: its pages are first touched on the hashing thread.
  std::unique_ptr<uint64_t[]> hashes_;
  std::atomic<size_t> ready_{0};  // rows [0, ready_) are in hashes_
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: started once the rest is initialised
};

}  // namespace sortie
