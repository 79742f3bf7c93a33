// Faulting in memory ahead of the loop that will fill it.
#pragma once

#include <atomic>
#include <cstddef>
#include <thread>

namespace sortie {

/// Makes the pages of [begin, begin + bytes) resident on a thread of its
/// own, without changing what they hold, so the loop that fills them later
/// does not stop at a page fault for each (first-touch faults are slow in
/// virtual machines). It works from the end backwards, meeting a loop that
/// fills from the front instead of racing it over the same pages. Best
/// effort: needs MADV_POPULATE_WRITE (Linux 5.14); elsewhere it does
/// nothing.
class BackgroundPrefault {
 public:
  BackgroundPrefault(void* begin, size_t bytes);
  /// Stops early if still running, and joins.
  ~BackgroundPrefault();
  BackgroundPrefault(const BackgroundPrefault&) = delete;
  BackgroundPrefault& operator=(const BackgroundPrefault&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace sortie
