// Background work that must not slow the run: threads that take only the
// CPU time nothing else wants.
#pragma once

#include <atomic>
#include <cstddef>
#include <thread>

namespace sortie {

/// Puts the calling thread in SCHED_IDLE (it runs only on a core nothing
/// else wants), or at nice 19 where that is refused. Best effort.
void LowerThisThreadsPriority();

/// Makes the pages of [begin, begin + bytes) resident on a thread at idle
/// priority, without changing what they hold, so the loop that fills them
/// later does not stop at a page fault for each (first-touch faults are
/// slow in virtual machines). It works from the end backwards, meeting a
/// loop that fills from the front instead of racing it over the same pages.
/// Best effort: needs MADV_POPULATE_WRITE (Linux 5.14); elsewhere it does
/// nothing.
class IdlePrefault {
 public:
  IdlePrefault(void* begin, size_t bytes);
  /// Stops early if still running, and joins.
  ~IdlePrefault();
  IdlePrefault(const IdlePrefault&) = delete;
  IdlePrefault& operator=(const IdlePrefault&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace sortie
