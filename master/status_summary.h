// What `sortie status` shows about a run, computed from its rows: counts by
// state, throughput, what is running now and what failed last.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "master/run_data.h"

namespace sortie {

/// A task running now.
struct RunningTask {
  size_t row = 0;
  std::string id;
  int32_t rank = -1;
  std::string host;
  int32_t attempt = 0;
  double elapsed = 0;  ///< seconds since its attempt started
};

/// A task whose last attempt failed (FAILED or TIMEOUT, no retries left).
struct FailedTask {
  size_t row = 0;
  std::string id;
  TaskState state = TaskState::kFailed;
  int32_t exit_code = -1;
  int32_t signal = 0;
  double end_time = kNoTime;
  std::string reason;            ///< why, when the exit does not say
  std::string stderr_last_line;  ///< valid UTF-8, at most ~200 bytes
};

/// The status of a run at one moment.
struct StatusSummary {
  std::string source;  ///< "run.h5" or "journal"
  bool finished = false;
  size_t total = 0;
  std::array<size_t, kTaskStateCount> counts{};
  double started_at = kNoTime;
  double finished_at = kNoTime;
  int exit_status = -1;  ///< the run's exit status; -1 until finished
  double elapsed = 0;    ///< seconds from started_at to now or the end
  /// Allocations the run has had (rows of /allocations); 0 when unknown.
  size_t allocations = 0;
  /// Seconds the allocations lasted (the one still running until now), so
  /// without the waits between them; `elapsed` when they are unknown.
  double allocated = 0;
  size_t ended = 0;  ///< tasks that ran and ended: DONE+FAILED+TIMEOUT
  double tasks_per_second = 0;       ///< ended / allocated
  std::vector<RunningTask> running;  ///< longest running first
  std::vector<FailedTask> failures;  ///< most recent first, at most the limit
  size_t failures_total = 0;
};

/// Summarises `run` as of `now` (epoch seconds; used for a run still going)
/// with at most `max_failures` failures listed.
StatusSummary Summarise(const RunData& run, double now, size_t max_failures);

/// Count of tasks in `state`.
inline size_t CountOf(const StatusSummary& s, TaskState state) {
  return s.counts[static_cast<size_t>(state)];
}

}  // namespace sortie
