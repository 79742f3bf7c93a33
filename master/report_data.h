// The numbers behind `sortie report`: accounting (node- and core-hours,
// utilization, the pilot's own overhead), failures, per-tag aggregates and
// the series the charts draw. Pure computation on a RunData; no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "master/run_data.h"

namespace sortie {

/// Count, mean, min and max of some values (NaN ones are skipped).
struct Stats {
  size_t count = 0;
  double sum = 0;
  double min = kNoTime;
  double max = kNoTime;
  /// Adds `value` unless it is NaN.
  void Add(double value);
  /// The mean; NaN when empty.
  double Mean() const;
};

/// One allocation as the report counts it: from its start to its end, or
/// to the report's end time while it runs.
struct AllocationSpan {
  double start = kNoTime;
  double end = kNoTime;
  /// Seconds it lasted (0 when the times are out of order).
  double Seconds() const { return end > start ? end - start : 0.0; }
};

/// One attempt of one task, from /events (or /tasks when there are none).
struct Attempt {
  size_t row = 0;
  double start = kNoTime;
  /// When it ended; for one still running, the end of its allocation (the
  /// report's end time for the allocation still running).
  double end = kNoTime;
  TaskState state = TaskState::kRunning;
  int32_t rank = -1;
  bool latest = false;  ///< the task's latest attempt (node_ids apply)
  /// The allocation it ran in: index in AllocationSpans(), see AllocationAt.
  size_t allocation = 0;
};

/// The pilot's own cost, from the attempts' start and end times (see
/// docs/status-report.md): the part of the allocations' time during which
/// no task was running on any node, split into before each allocation's
/// first start, gaps between starts and after its last end; and how long a
/// rank sat empty after a task ended before its next task started there.
/// The waits between allocations are not counted.
struct Overhead {
  double startup = 0;   ///< each allocation's start to its first start
  double gaps = 0;      ///< nothing running, but tasks still to start
  double teardown = 0;  ///< each allocation's last end to its end
  /// Seconds in all with no task running anywhere.
  double Total() const { return startup + gaps + teardown; }
  /// Ends followed by a start on their rank in the same allocation.
  size_t refills = 0;
  double refill_median = kNoTime;  ///< seconds
  double refill_max = kNoTime;     ///< seconds
};

/// Tasks sharing one value of one tag.
struct TagGroup {
  std::string value;        ///< the tag's value: a string's text, else its JSON
  double number = kNoTime;  ///< the value when it is a JSON number
  size_t tasks = 0;
  size_t done = 0;
  Stats runtime;                         ///< latest attempts that ended
  std::map<std::string, Stats> results;  ///< numeric /results by key
};

/// Tasks grouped by the values of one tag key.
struct TagTable {
  std::string key;
  bool numeric = false;  ///< every value is a number (groups sorted by it)
  size_t untagged = 0;   ///< tasks without this key
  std::vector<TagGroup> groups;
};

/// A task's failure, with all of its stderr tail as safe text.
struct FailureDetail {
  size_t row = 0;
  std::string id;
  TaskState state = TaskState::kFailed;
  int32_t exit_code = -1;
  int32_t signal = 0;
  std::string reason;
  std::string stderr_tail;  ///< valid UTF-8
};

/// One bar of the Gantt chart: a task (or several merged) on one node.
struct GanttBar {
  int32_t node = 0;
  int32_t lane = 0;
  double start = 0;  ///< seconds since started_at
  double end = 0;
  TaskState state = TaskState::kDone;
  size_t row = 0;     ///< the (first) task
  size_t merged = 1;  ///< tasks in this bar
};

/// The Gantt chart's bars and each node's lanes (tasks side by side).
struct GanttData {
  std::vector<GanttBar> bars;
  std::vector<int32_t> lanes;  ///< per node, at least 1
  bool merged = false;         ///< too many bars: neighbours were merged
};

/// Busy cores from time `time` (seconds since started_at) until the next
/// point.
struct UsagePoint {
  double time = 0;
  double busy_cores = 0;
};

/// What `sortie report` shows.
struct ReportData {
  size_t total = 0;
  std::array<size_t, kTaskStateCount> counts{};
  bool finished = false;
  double started_at = kNoTime;
  double until = kNoTime;  ///< finished_at, or the last time seen
  double wall = 0;         ///< seconds, started_at to until
  /// The allocations (one spanning the wall time for a file without
  /// /allocations), in order.
  std::vector<AllocationSpan> allocations;
  /// Seconds the allocations lasted: the wall time less the waits between
  /// them.
  double allocated = 0;
  /// Per allocation (as `allocations`), the cores it had: its /nodes rows',
  /// or the latest allocation's when the journal did not list its nodes.
  std::vector<int64_t> allocation_cores;
  size_t nodes = 0;   ///< of the latest allocation
  int64_t cores = 0;  ///< all its nodes' cores
  /// Sum over attempts of nodes x runtime: more than allocated when tasks
  /// share nodes.
  double node_hours_used = 0;
  /// Sum over nodes of the time at least one task ran there.
  double node_hours_busy = 0;
  /// Sum over attempts of the cores asked for x runtime.
  double core_hours_used = 0;
  double node_hours_allocated = 0;
  double core_hours_allocated = 0;
  Overhead overhead;
  std::vector<FailureDetail> failures;  ///< FAILED and TIMEOUT, in row order
  std::vector<TagTable> tags;
  std::vector<std::string> result_keys;  ///< numeric /results keys, sorted
  std::vector<Attempt> attempts;
  std::vector<UsagePoint> usage;
};

/// Most bars the Gantt chart draws one per task before merging.
inline constexpr size_t kMaxGanttBars = 20000;
/// Most points of the usage line before it is averaged over bins.
inline constexpr size_t kMaxUsagePoints = 4000;

/// Most distinct values a tag may have to get a table without --by.
inline constexpr size_t kDefaultTagValues = 50;

/// Aggregates `run`. `tag_keys`: the tags to group by; empty means every
/// tag key with at most `kDefaultTagValues` distinct values.
ReportData Aggregate(const RunData& run,
                     const std::vector<std::string>& tag_keys);

/// The allocations of `run` from its /allocations rows, the one still
/// running (NaN ended_at) ending at `until`; for a file without them, one
/// from started_at to `until`.
std::vector<AllocationSpan> AllocationSpans(const RunData& run, double until);

/// The allocation `time` falls in: the latest one started at or before it
/// (0 when it is before them all or there are none).
size_t AllocationAt(const std::vector<AllocationSpan>& allocations,
                    double time);

/// Every attempt of every task: paired STARTED and end events, or the
/// latest attempt from /tasks when the file has no /events, each with its
/// allocation (AllocationSpans(run, until)). Attempts still running end
/// when their allocation does: at `until` for the one still running.
std::vector<Attempt> CollectAttempts(const RunData& run, double until);

/// The pilot's overhead from `attempts` within `allocations` (the waits
/// between them are not overhead); the last allocation has a teardown only
/// when the run `finished`.
Overhead ComputeOverhead(const std::vector<Attempt>& attempts,
                         const std::vector<AllocationSpan>& allocations,
                         bool finished);

/// Busy cores over time as a step function, time relative to started_at;
/// averaged over kMaxUsagePoints bins when it has more points than that.
std::vector<UsagePoint> UsageSeries(const RunData& run,
                                    const std::vector<Attempt>& attempts,
                                    double started_at);

/// Seconds, summed over nodes (rows of /nodes, every allocation's), during
/// which at least one of `attempts` ran on the node (placed as in
/// LayOutGantt).
double NodeBusySeconds(const RunData& run,
                       const std::vector<Attempt>& attempts);

/// Groups `run`'s tasks by the value of tag `key`.
TagTable GroupByTag(const RunData& run, const std::string& key);

/// Every tag key of `run` with at most `max_values` distinct values, sorted.
std::vector<std::string> GroupableTagKeys(const RunData& run,
                                          size_t max_values);

/// The Gantt chart's bars: one per attempt and node it ran on (the latest
/// attempt's node_ids; earlier ones go to the node of their rank in the
/// allocation they ran in), in lanes
/// so overlapping tasks on a node sit side by side; merged per lane when
/// there are more than `max_bars`.
GanttData LayOutGantt(const RunData& run, const std::vector<Attempt>& attempts,
                      double started_at, size_t max_bars);

}  // namespace sortie
