// Time and waiting, behind an interface so loops are tested on a fake clock.
#pragma once

namespace sortie {

/// Wall-clock and monotonic time, and sleeping.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Seconds since the Unix epoch (for records users read).
  virtual double Now() const = 0;
  /// Seconds on a monotonic clock (for intervals and timeouts).
  virtual double Monotonic() const = 0;
  /// Sleeps about `seconds` (>= 0).
  virtual void SleepFor(double seconds) = 0;
};

/// The real clock.
class SystemClock : public Clock {
 public:
  double Now() const override;
  double Monotonic() const override;
  void SleepFor(double seconds) override;
};

/// Exponential back-off for polling loops: waits start tiny so a busy loop
/// stays responsive, double while nothing happens, and stop at a cap so an
/// idle rank costs almost no CPU (MPICH's blocking calls spin a core).
class Backoff {
 public:
  /// Waits go from `min_seconds` up to `max_seconds`, after `linger` waits
  /// of `min_seconds` following each Reset (a reply to what was just sent
  /// is likely soon: catch it before sleeping longer).
  Backoff(double min_seconds, double max_seconds, int linger = 0)
      : min_(min_seconds),
        max_(max_seconds),
        next_(min_seconds),
        linger_(linger) {}
  /// The wait to use now; once the lingering is over, the following one is
  /// twice as long, up to the cap.
  double Next() {
    if (lingered_ < linger_) {
      ++lingered_;
      return min_;
    }
    double wait = next_;
    next_ = next_ * 2 > max_ ? max_ : next_ * 2;
    return wait;
  }
  /// Something happened: the next wait is short again.
  void Reset() {
    next_ = min_;
    lingered_ = 0;
  }

 private:
  double min_;
  double max_;
  double next_;
  int linger_;
  int lingered_ = 0;
};

/// The back-off of short waits (PollUntil, the master's wait for hellos):
/// first sleep and cap, in seconds.
inline constexpr double kShortWaitFirst = 20e-6;
inline constexpr double kShortWaitCap = 5e-4;

/// Calls `done` until it returns true, sleeping with back-off (20 us up to
/// 0.5 ms) in between: how a rank waits for a non-blocking MPI operation, since
/// MPI's blocking waits spin a core the other ranks may need. The cap is low
/// because these waits are short and a collective's every round waits for
/// the slowest rank's next poll (4 ms cost 10-40 ms at start-up, 8 ranks).
template <typename Done>
void PollUntil(Clock& clock, Done done) {
  Backoff backoff(kShortWaitFirst, kShortWaitCap);
  while (!done()) clock.SleepFor(backoff.Next());
}

}  // namespace sortie
