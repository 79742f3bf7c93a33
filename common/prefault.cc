#include "common/prefault.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

namespace sortie {
namespace {

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14; older kernels say EINVAL
#endif

// Pages at a time: small enough to stop soon when asked.
constexpr size_t kPrefaultStep = size_t{2} << 20;

}  // namespace

// The thread keeps the normal priority on purpose. madvise holds the address
// space's lock while it populates, and at idle priority the thread was
// starved with the lock held whenever both cores were busy: MPI_Init and
// every allocation that needed a new mapping then waited for it, up to
// 0.2 s at the start of a 1,000,000-task run (bench/RESULTS.md).
BackgroundPrefault::BackgroundPrefault(void* begin, size_t bytes)
    : thread_([this, begin, bytes] {
        const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
        // Whole pages inside the range only: the rest may be someone else's.
        const uintptr_t first =
            (reinterpret_cast<uintptr_t>(begin) + page - 1) & ~(page - 1);
        uintptr_t last =
            (reinterpret_cast<uintptr_t>(begin) + bytes) & ~(page - 1);
        while (first < last && !stop_.load(std::memory_order_relaxed)) {
          const size_t step = std::min<uintptr_t>(kPrefaultStep, last - first);
          if (madvise(reinterpret_cast<void*>(last - step), step,
                      MADV_POPULATE_WRITE) != 0) {
            return;
          }
          last -= step;
        }
      }) {}

BackgroundPrefault::~BackgroundPrefault() {
  stop_.store(true, std::memory_order_relaxed);
  thread_.join();
}

}  // namespace sortie
