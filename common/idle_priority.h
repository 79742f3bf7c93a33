// Background work that must not slow the run: threads that take only the
// CPU time nothing else wants.
#pragma once

namespace sortie {

/// Puts the calling thread in SCHED_IDLE (it runs only on a core nothing
/// else wants), or at nice 19 where that is refused. Best effort. Such a
/// thread must not hold anything others wait for, a kernel lock included:
/// it can wait for a core for as long as they all stay busy (see
/// common/prefault.cc).
void LowerThisThreadsPriority();

}  // namespace sortie
