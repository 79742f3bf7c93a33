#include "master/status_summary.h"

#include <algorithm>
#include <cmath>

#include "common/utf8.h"
#include "master/report_data.h"

namespace sortie {
namespace {

constexpr size_t kLineBytes = 200;

bool IsFailure(TaskState state) {
  return state == TaskState::kFailed || state == TaskState::kTimeout;
}

FailedTask MakeFailure(const TaskRow& task, size_t row) {
  FailedTask failure;
  failure.row = row;
  failure.id = task.id;
  failure.state = task.state;
  failure.exit_code = task.exit_code;
  failure.signal = task.signal;
  failure.end_time = task.end_time;
  failure.reason = SafeText(task.reason);
  failure.stderr_last_line =
      Shorten(LastLine(SafeText(task.stderr_tail)), kLineBytes);
  return failure;
}

// Keeps only the `limit` most recent failures (latest end first).
void KeepRecent(std::vector<FailedTask>* failures, size_t limit) {
  auto later = [](const FailedTask& a, const FailedTask& b) {
    return a.end_time > b.end_time ||
           (a.end_time == b.end_time && a.row > b.row);
  };
  std::sort(failures->begin(), failures->end(), later);
  if (failures->size() > limit) failures->resize(limit);
}

// The allocations' durations summed: the time tasks could run, which the
// waits between allocations (in a batch queue, say) are not.
double AllocatedSeconds(const RunData& run, double until) {
  double seconds = 0;
  for (const AllocationSpan& span : AllocationSpans(run, until)) {
    seconds += span.Seconds();
  }
  return seconds;
}

}  // namespace

StatusSummary Summarise(const RunData& run, double now, size_t max_failures) {
  StatusSummary s;
  s.source = run.source;
  s.finished = RunFinished(run);
  s.total = run.tasks.size();
  s.started_at = run.info.started_at;
  s.finished_at = run.info.finished_at;
  s.exit_status = run.info.exit_status;
  const double until = s.finished ? s.finished_at : now;
  s.elapsed = std::max(0.0, until - s.started_at);
  s.allocations = run.allocations.size();
  s.allocated = s.allocations == 0 ? s.elapsed : AllocatedSeconds(run, until);
  for (size_t row = 0; row < run.tasks.size(); ++row) {
    const TaskRow& task = run.tasks[row];
    ++s.counts[static_cast<size_t>(task.state)];
    if (task.state == TaskState::kDone || IsFailure(task.state)) ++s.ended;
    if (task.state == TaskState::kRunning) {
      s.running.push_back(RunningTask{row, task.id, task.rank, task.host,
                                      task.attempts,
                                      std::max(0.0, until - task.start_time)});
    }
    if (IsFailure(task.state)) s.failures.push_back(MakeFailure(task, row));
  }
  s.failures_total = s.failures.size();
  KeepRecent(&s.failures, max_failures);
  std::stable_sort(s.running.begin(), s.running.end(),
                   [](const RunningTask& a, const RunningTask& b) {
                     return a.elapsed > b.elapsed;
                   });
  if (s.allocated > 0)
    s.tasks_per_second = static_cast<double>(s.ended) / s.allocated;
  return s;
}

}  // namespace sortie
