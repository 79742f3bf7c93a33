#include "common/idle_priority.h"

#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

namespace sortie {

void LowerThisThreadsPriority() {
  sched_param param{};
  if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &param) != 0) {
    (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19);
  }
}

namespace {

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14; older kernels say EINVAL
#endif

// Pages at a time: small enough to stop soon when asked.
constexpr size_t kPrefaultStep = size_t{2} << 20;

}  // namespace

IdlePrefault::IdlePrefault(void* begin, size_t bytes)
    : thread_([this, begin, bytes] {
        LowerThisThreadsPriority();
        const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
        // Whole pages inside the range only: the rest may be someone else's.
        uintptr_t first =
            (reinterpret_cast<uintptr_t>(begin) + page - 1) & ~(page - 1);
        const uintptr_t end =
            (reinterpret_cast<uintptr_t>(begin) + bytes) & ~(page - 1);
        uintptr_t last = end;
        while (first < last && !stop_.load(std::memory_order_relaxed)) {
          const size_t step = std::min<uintptr_t>(kPrefaultStep, last - first);
          if (madvise(reinterpret_cast<void*>(last - step), step,
                      MADV_POPULATE_WRITE) != 0) {
            return;
          }
          last -= step;
        }
      }) {}

IdlePrefault::~IdlePrefault() {
  stop_.store(true, std::memory_order_relaxed);
  thread_.join();
}

}  // namespace sortie
