#include "common/clock.h"

#include <time.h>

#include <cerrno>
#include <cmath>

namespace sortie {
namespace {

double Seconds(clockid_t clock) {
  timespec now{};
  clock_gettime(clock, &now);
  return static_cast<double>(now.tv_sec) +
         static_cast<double>(now.tv_nsec) * 1e-9;
}

}  // namespace

double SystemClock::Now() const { return Seconds(CLOCK_REALTIME); }

double SystemClock::Monotonic() const { return Seconds(CLOCK_MONOTONIC); }

void SystemClock::SleepFor(double seconds) {
  if (!(seconds > 0)) return;
  double whole = std::floor(seconds);
  timespec wait{static_cast<time_t>(whole),
                static_cast<long>((seconds - whole) * 1e9)};
  while (nanosleep(&wait, &wait) != 0 && errno == EINTR) {
  }
}

}  // namespace sortie
