#include "master/progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>

#include "master/run_state.h"

namespace sortie {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

size_t Of(const StateCounts& counts, TaskState state) {
  return counts[static_cast<size_t>(state)];
}

// Tasks that will not run again in this run.
size_t Ended(const StateCounts& counts) {
  return Of(counts, TaskState::kDone) + Of(counts, TaskState::kFailed) +
         Of(counts, TaskState::kTimeout) + Of(counts, TaskState::kSkipped);
}

// H:MM:SS, the way batch systems print walltimes.
std::string Duration(double seconds) {
  auto total = static_cast<long long>(std::llround(std::max(seconds, 0.0)));
  char text[32];
  std::snprintf(text, sizeof(text), "%lld:%02lld:%02lld", total / 3600,
                total / 60 % 60, total % 60);
  return text;
}

std::string Rate(double per_second) {
  char text[32];
  std::snprintf(text, sizeof(text), per_second < 10 ? "%.2f" : "%.1f",
                per_second);
  return text;
}

}  // namespace

StateCounts CountsOf(const RunState& state) {
  StateCounts counts{};
  for (size_t s = 0; s < kTaskStateCount; ++s) {
    counts[s] = state.Count(static_cast<TaskState>(s));
  }
  return counts;
}

Progress::Progress(ProgressOptions options)
    : options_(options),
      out_(options.out ? *options.out : std::cerr),
      due_(options.interval > 0 ? -kInfinity : kInfinity) {}

std::string Progress::Format(double elapsed, const StateCounts& counts,
                             size_t ended_at_start, bool final) {
  size_t total = 0;
  for (size_t count : counts) total += count;
  const size_t ended = Ended(counts);
  std::string line = "sortie: progress " + Duration(elapsed) + " | " +
                     std::to_string(ended) + "/" + std::to_string(total) +
                     " ended";
  const char* separator = ": ";
  for (TaskState s : {TaskState::kDone, TaskState::kFailed, TaskState::kTimeout,
                      TaskState::kSkipped}) {
    if (Of(counts, s) == 0) continue;
    line += separator + std::to_string(Of(counts, s)) + " " +
            std::string(StateName(s));
    separator = ", ";
  }
  line += " | " + std::to_string(Of(counts, TaskState::kRunning)) +
          " RUNNING, " + std::to_string(Of(counts, TaskState::kPending)) +
          " PENDING";
  if (size_t interrupted = Of(counts, TaskState::kInterrupted)) {
    line += ", " + std::to_string(interrupted) + " INTERRUPTED";
  }
  // The rate counts this run's work only: a resumed run's earlier tasks
  // would make it look faster than it is.
  const size_t ended_here =
      ended >= ended_at_start ? ended - ended_at_start : 0;
  const double rate =
      elapsed > 0 ? static_cast<double>(ended_here) / elapsed : 0.0;
  line += " | " + Rate(rate) + " tasks/s";
  if (!final) {
    line += rate > 0 ? " | ETA " +
                           Duration(static_cast<double>(total - ended) / rate)
                     : " | ETA -";
  }
  return line;
}

void Progress::Report(double now, const StateCounts& counts, bool final) {
  if (!started_) {
    started_ = true;
    start_ = now;
    ended_at_start_ = Ended(counts);
    due_ = now + options_.interval;
    if (!final) return;
  }
  std::string line = Format(now - start_, counts, ended_at_start_, final);
  // One write per report (std::cerr is unbuffered): another rank's output
  // forwarded through the same launcher cannot land inside the line.
  if (options_.live) {
    // Blanks over the tail of a longer earlier line.
    const size_t width = line.size();
    if (width < live_width_) line.append(live_width_ - width, ' ');
    live_width_ = final ? 0 : width;
    line.insert(0, 1, '\r');
    if (final) line += '\n';
  } else {
    line += '\n';
  }
  out_ << line;
  out_.flush();
  // Steady pace even when an iteration ran late.
  while (due_ <= now) due_ += options_.interval;
}

void Progress::Final(double now, const StateCounts& counts) {
  if (options_.interval > 0) Report(now, counts, true);
}

void Progress::Final(double now, const RunState& state) {
  Final(now, CountsOf(state));
}

ProgressOptions ProgressFor(double seconds, bool tty) {
  ProgressOptions options;
  options.interval = tty && seconds > 1.0 ? 1.0 : seconds;
  options.live = tty && seconds > 0;
  return options;
}

}  // namespace sortie
