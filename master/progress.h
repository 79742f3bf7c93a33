// The master's progress line: counts by state, tasks/s and an ETA, printed
// at a steady pace. In a batch log each report is a line of its own; on a
// terminal one line is redrawn in place. Fed the time and the RunState by
// the master loop; it formats only when a report is due, so it costs one
// comparison per loop iteration.
#pragma once

#include <array>
#include <cstddef>
#include <iosfwd>
#include <string>

#include "common/task.h"

namespace sortie {

class RunState;

/// How and where progress is reported.
struct ProgressOptions {
  /// Seconds between reports; <= 0: no progress output at all.
  double interval = 0;
  /// Redraw one line with '\r' (stream is a terminal) instead of printing
  /// a line per report.
  bool live = false;
  /// Where reports go; null: std::cerr.
  std::ostream* out = nullptr;
};

/// Number of tasks in each TaskState, indexed by the state's value.
using StateCounts = std::array<size_t, kTaskStateCount>;

/// The counts of `state`, for Progress.
StateCounts CountsOf(const RunState& state);

/// Decides when to report progress and formats the report.
class Progress {
 public:
  /// Reports go to `options.out` every `options.interval` seconds.
  explicit Progress(ProgressOptions options);

  /// Called on every master loop iteration with a monotonic time: the
  /// first call starts the clock; later ones print when a report is due.
  void Tick(double now, const RunState& state) {
    if (due_ <= now) Report(now, CountsOf(state), false);
  }
  /// The same with counts given directly.
  void Tick(double now, const StateCounts& counts) {
    if (due_ <= now) Report(now, counts, false);
  }
  /// The last report, at the end of the run (ends a live line).
  void Final(double now, const StateCounts& counts);
  /// The same from the run's state.
  void Final(double now, const RunState& state);

  /// One report's text (no line ending): elapsed time, ended/total, the
  /// counts, and tasks/s with an ETA from the tasks ended since the start.
  static std::string Format(double elapsed, const StateCounts& counts,
                            size_t ended_at_start, bool final);

 private:
  void Report(double now, const StateCounts& counts, bool final);

  ProgressOptions options_;
  std::ostream& out_;
  bool started_ = false;
  double start_ = 0;
  /// Monotonic time of the next report (+inf when off); the first Tick
  /// always lands here to start the clock.
  double due_;
  size_t ended_at_start_ = 0;  ///< tasks a resumed run had ended already
  size_t live_width_ = 0;      ///< length of the live line on screen
};

/// Whether stderr ends at a terminal, directly or through the launchers
/// that forward a rank's output (mpiexec, Hydra's proxy, srun, ...).
bool StderrReachesTerminal();

/// Interval for `--progress SECONDS` on a stream that is (`tty`) or is not
/// a terminal: a terminal is refreshed at least once a second.
ProgressOptions ProgressFor(double seconds, bool tty);

}  // namespace sortie
