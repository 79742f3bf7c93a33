// Accounting for `sortie report`: states, node- and core-hours, failures;
// it calls the timeline (report_timeline.cc) and tag (report_tags.cc) parts.
#include "master/report_data.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "common/utf8.h"

namespace sortie {
namespace {

constexpr double kSecondsPerHour = 3600.0;

// The last moment the data describes: finished_at, else when the snapshot
// was written, else the latest time any task or event mentions (a file
// written before run.h5 recorded `written_at`).
double EndOfData(const RunData& run) {
  if (RunFinished(run)) return run.info.finished_at;
  double until = run.info.started_at;
  if (std::isfinite(run.info.written_at)) {
    until = std::max(until, run.info.written_at);
  }
  for (const TaskRow& task : run.tasks) {
    if (std::isfinite(task.start_time))
      until = std::max(until, task.start_time);
    if (std::isfinite(task.end_time)) until = std::max(until, task.end_time);
  }
  for (const TaskEvent& event : run.events) {
    if (std::isfinite(event.time)) until = std::max(until, event.time);
  }
  return until;
}

// What an allocation was given: its /nodes rows and their cores.
struct Given {
  size_t nodes = 0;
  int64_t cores = 0;
};

// Per allocation, its /nodes rows (the `allocation` column).
std::vector<Given> GivenPerAllocation(const RunData& run) {
  std::vector<Given> given(run.allocations.size());
  for (const NodeRecord& node : run.nodes) {
    const auto at = static_cast<size_t>(node.allocation);
    if (node.allocation < 0 || at >= given.size()) continue;
    ++given[at].nodes;
    given[at].cores += node.cores;
  }
  return given;
}

// Node- and core-hours allocated: each allocation's nodes x its duration,
// so the waits between allocations count for nothing; and each allocation's
// cores, for the usage chart. An allocation whose nodes are unknown (its
// journal predates AllocationNodes) counts the latest allocation's; so does
// a file without /allocations, whose one span is the wall time.
void AccountAllocated(const RunData& run, ReportData* report) {
  const Given latest{report->nodes, report->cores};
  const std::vector<Given> given = run.allocations.empty()
                                       ? std::vector<Given>{latest}
                                       : GivenPerAllocation(run);
  for (size_t i = 0; i < given.size() && i < report->allocations.size(); ++i) {
    const Given& nodes = given[i].nodes > 0 ? given[i] : latest;
    const double hours = report->allocations[i].Seconds() / kSecondsPerHour;
    report->node_hours_allocated += static_cast<double>(nodes.nodes) * hours;
    report->core_hours_allocated += static_cast<double>(nodes.cores) * hours;
    report->allocation_cores.push_back(nodes.cores);
  }
}

void Account(const RunData& run, ReportData* report) {
  double node_seconds = 0;
  double core_seconds = 0;
  for (const Attempt& a : report->attempts) {
    const TaskRow& task = run.tasks[a.row];
    const double seconds = std::max(0.0, a.end - a.start);
    node_seconds += task.nodes * seconds;
    core_seconds += static_cast<double>(task.Cores()) * seconds;
  }
  report->node_hours_used = node_seconds / kSecondsPerHour;
  report->node_hours_busy =
      NodeBusySeconds(run, report->attempts) / kSecondsPerHour;
  report->core_hours_used = core_seconds / kSecondsPerHour;
  // The latest allocation's nodes (/nodes lists every allocation's).
  int32_t latest = 0;
  for (const NodeRecord& node : run.nodes) {
    latest = std::max(latest, node.allocation);
  }
  for (const NodeRecord& node : run.nodes) {
    if (node.allocation != latest) continue;
    ++report->nodes;
    report->cores += node.cores;
  }
  AccountAllocated(run, report);
}

std::vector<FailureDetail> Failures(const RunData& run) {
  std::vector<FailureDetail> failures;
  for (size_t row = 0; row < run.tasks.size(); ++row) {
    const TaskRow& task = run.tasks[row];
    if (task.state != TaskState::kFailed && task.state != TaskState::kTimeout) {
      continue;
    }
    failures.push_back(FailureDetail{row, task.id, task.state, task.exit_code,
                                     task.signal, task.reason,
                                     SafeText(task.stderr_tail)});
  }
  return failures;
}

std::vector<std::string> NumericResultKeys(const RunData& run) {
  std::set<std::string> keys;
  for (const ResultRow& result : run.results) {
    if (!std::isnan(result.value)) keys.insert(result.key);
  }
  return {keys.begin(), keys.end()};
}

}  // namespace

ReportData Aggregate(const RunData& run,
                     const std::vector<std::string>& tag_keys) {
  ReportData report;
  report.total = run.tasks.size();
  for (const TaskRow& task : run.tasks) {
    ++report.counts[static_cast<size_t>(task.state)];
  }
  report.finished = RunFinished(run);
  report.started_at = run.info.started_at;
  report.until = EndOfData(run);
  report.wall = std::max(0.0, report.until - report.started_at);
  report.allocations = AllocationSpans(run, report.until);
  for (const AllocationSpan& span : report.allocations) {
    report.allocated += span.Seconds();
  }
  report.attempts = CollectAttempts(run, report.until);
  Account(run, &report);
  report.overhead =
      ComputeOverhead(report.attempts, report.allocations, report.finished);
  report.failures = Failures(run);
  report.result_keys = NumericResultKeys(run);
  const std::vector<std::string> keys =
      tag_keys.empty() ? GroupableTagKeys(run, kDefaultTagValues) : tag_keys;
  for (const std::string& key : keys) {
    report.tags.push_back(GroupByTag(run, key));
  }
  report.usage = UsageSeries(run, report.attempts, report.started_at);
  return report;
}

}  // namespace sortie
