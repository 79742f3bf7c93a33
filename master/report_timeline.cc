// The time-based parts of the report: attempts as intervals, the pilot's
// overhead, busy cores over time and the Gantt chart's layout.
#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>
#include <utility>

#include "master/report_data.h"

namespace sortie {
namespace {

bool Finite(double value) { return std::isfinite(value); }

std::vector<Attempt> AttemptsFromTasks(const RunData& run, double until) {
  std::vector<Attempt> attempts;
  for (size_t row = 0; row < run.tasks.size(); ++row) {
    const TaskRow& task = run.tasks[row];
    if (!Finite(task.start_time)) continue;
    const bool running = task.state == TaskState::kRunning;
    attempts.push_back(Attempt{row, task.start_time,
                               running ? until : task.end_time, task.state,
                               task.rank, true, 0});
  }
  return attempts;
}

// Marks each task's highest attempt as its latest.
void MarkLatest(std::vector<Attempt>* attempts,
                const std::map<std::pair<size_t, int32_t>, size_t>& index) {
  std::map<size_t, std::pair<int32_t, size_t>> latest;
  for (const auto& [key, at] : index) {
    auto& best = latest[key.first];
    if (best.second == 0 || key.second >= best.first)
      best = {key.second, at + 1};
  }
  for (const auto& entry : latest) {
    (*attempts)[entry.second.second - 1].latest = true;
  }
}

std::vector<Attempt> AttemptsFromEvents(const RunData& run, double until) {
  std::vector<Attempt> attempts;
  std::map<std::pair<size_t, int32_t>, size_t> index;  // (row, attempt)
  for (const TaskEvent& event : run.events) {
    if (event.row >= run.tasks.size()) continue;
    const std::pair<size_t, int32_t> key{event.row, event.attempt};
    if (event.state == TaskState::kRunning) {
      index[key] = attempts.size();
      attempts.push_back(Attempt{event.row, event.time, until,
                                 TaskState::kRunning, event.rank, false, 0});
      continue;
    }
    auto found = index.find(key);
    if (found == index.end()) continue;  // SKIPPED: never started
    attempts[found->second].end = event.time;
    attempts[found->second].state = event.state;
  }
  MarkLatest(&attempts, index);
  return attempts;
}

}  // namespace

std::vector<AllocationSpan> AllocationSpans(const RunData& run, double until) {
  if (run.allocations.empty()) return {{run.info.started_at, until}};
  std::vector<AllocationSpan> spans;
  for (size_t i = 0; i < run.allocations.size(); ++i) {
    const AllocationRecord& a = run.allocations[i];
    double end = a.ended_at;
    // Only the last one may still run; an earlier one without an end (not
    // as sortie writes it) ended at the latest when the next began.
    if (std::isnan(end)) {
      end = i + 1 < run.allocations.size()
                ? std::min(until, run.allocations[i + 1].started_at)
                : until;
    }
    spans.push_back(AllocationSpan{a.started_at, end});
  }
  return spans;
}

size_t AllocationAt(const std::vector<AllocationSpan>& allocations,
                    double time) {
  auto after = std::upper_bound(
      allocations.begin(), allocations.end(), time,
      [](double t, const AllocationSpan& span) { return t < span.start; });
  return after == allocations.begin()
             ? 0
             : static_cast<size_t>(after - allocations.begin()) - 1;
}

std::vector<Attempt> CollectAttempts(const RunData& run, double until) {
  std::vector<Attempt> attempts = run.events.empty()
                                      ? AttemptsFromTasks(run, until)
                                      : AttemptsFromEvents(run, until);
  // An attempt without an end in an allocation that ended (a run resumed
  // by a sortie that did not close lost attempts) ran at most until then.
  const std::vector<AllocationSpan> spans = AllocationSpans(run, until);
  for (Attempt& a : attempts) {
    a.allocation = AllocationAt(spans, a.start);
    if (a.state == TaskState::kRunning) {
      a.end = std::max(a.start, std::min(until, spans[a.allocation].end));
    }
  }
  return attempts;
}

namespace {

// Sums the time in [from, to] covered by no interval.
double UncoveredTime(std::vector<std::pair<double, double>> spans, double from,
                     double to) {
  std::sort(spans.begin(), spans.end());
  double idle = 0;
  double covered_to = from;
  for (const auto& [start, end] : spans) {
    if (start > covered_to) idle += std::min(start, to) - covered_to;
    covered_to = std::max(covered_to, end);
    if (covered_to >= to) break;
  }
  return idle;
}

// For each end, the wait until the next start on the same rank in the same
// allocation (a rank of the next allocation is another process).
std::vector<double> RefillWaits(const std::vector<Attempt>& attempts) {
  std::map<std::pair<size_t, int32_t>, std::vector<double>> starts;
  for (const Attempt& a : attempts) {
    starts[{a.allocation, a.rank}].push_back(a.start);
  }
  for (auto& entry : starts)
    std::sort(entry.second.begin(), entry.second.end());
  std::vector<double> waits;
  for (const Attempt& a : attempts) {
    if (a.state == TaskState::kRunning) continue;
    const std::vector<double>& next = starts[{a.allocation, a.rank}];
    auto it = std::lower_bound(next.begin(), next.end(), a.end);
    if (it != next.end()) waits.push_back(*it - a.end);
  }
  return waits;
}

// Adds to `overhead` the startup, gaps and teardown of one allocation
// `span` whose attempts are `attempts`.
void AddAllocationOverhead(const std::vector<const Attempt*>& attempts,
                           const AllocationSpan& span, bool ended,
                           Overhead* overhead) {
  if (attempts.empty()) {
    overhead->startup += span.Seconds();
    return;
  }
  std::vector<std::pair<double, double>> runs;
  double first_start = span.end;
  double last_start = span.start;
  double last_end = span.start;
  for (const Attempt* a : attempts) {
    runs.emplace_back(a->start, a->end);
    first_start = std::min(first_start, a->start);
    last_start = std::max(last_start, a->start);
    last_end = std::max(last_end, a->end);
  }
  overhead->startup += std::max(0.0, first_start - span.start);
  overhead->gaps += UncoveredTime(runs, first_start, last_start);
  if (ended) overhead->teardown += std::max(0.0, span.end - last_end);
}

}  // namespace

Overhead ComputeOverhead(const std::vector<Attempt>& attempts,
                         const std::vector<AllocationSpan>& allocations,
                         bool finished) {
  Overhead overhead;
  if (allocations.empty()) return overhead;
  std::vector<std::vector<const Attempt*>> by_allocation(allocations.size());
  for (const Attempt& a : attempts) {
    by_allocation[std::min(a.allocation, allocations.size() - 1)].push_back(&a);
  }
  for (size_t i = 0; i < allocations.size(); ++i) {
    const bool ended = finished || i + 1 < allocations.size();
    AddAllocationOverhead(by_allocation[i], allocations[i], ended, &overhead);
  }
  std::vector<double> waits = RefillWaits(attempts);
  overhead.refills = waits.size();
  if (!waits.empty()) {
    std::sort(waits.begin(), waits.end());
    overhead.refill_median = waits[waits.size() / 2];
    overhead.refill_max = waits.back();
  }
  return overhead;
}

namespace {

std::vector<UsagePoint> Rebin(const std::vector<UsagePoint>& steps,
                              size_t bins) {
  const double from = steps.front().time;
  const double width = (steps.back().time - from) / static_cast<double>(bins);
  auto bin_of = [&](double t) {
    return std::min(bins - 1, static_cast<size_t>((t - from) / width));
  };
  std::vector<double> area(bins, 0.0);
  for (size_t i = 0; i + 1 < steps.size(); ++i) {
    const double a = steps[i].time;
    const double b = steps[i + 1].time;
    for (size_t bin = bin_of(a); bin <= bin_of(b); ++bin) {
      const double lo = std::max(a, from + static_cast<double>(bin) * width);
      const double hi =
          std::min(b, from + static_cast<double>(bin + 1) * width);
      if (hi > lo) area[bin] += steps[i].busy_cores * (hi - lo);
    }
  }
  std::vector<UsagePoint> points;
  for (size_t bin = 0; bin < bins; ++bin) {
    points.push_back(
        UsagePoint{from + static_cast<double>(bin) * width, area[bin] / width});
  }
  points.push_back(UsagePoint{steps.back().time, 0});
  return points;
}

}  // namespace

std::vector<UsagePoint> UsageSeries(const RunData& run,
                                    const std::vector<Attempt>& attempts,
                                    double started_at) {
  // Ends sort before starts at the same time: cores freed and taken again in
  // one instant are not counted twice.
  std::vector<std::pair<double, double>> changes;
  for (const Attempt& a : attempts) {
    const auto cores = static_cast<double>(run.tasks[a.row].Cores());
    changes.emplace_back(a.start - started_at, cores);
    changes.emplace_back(a.end - started_at, -cores);
  }
  std::sort(changes.begin(), changes.end());
  std::vector<UsagePoint> steps;
  double busy = 0;
  for (const auto& [time, delta] : changes) {
    busy += delta;
    if (!steps.empty() && steps.back().time == time) {
      steps.back().busy_cores = busy;
    } else {
      steps.push_back(UsagePoint{time, busy});
    }
  }
  if (steps.size() > kMaxUsagePoints &&
      steps.back().time > steps.front().time) {
    return Rebin(steps, kMaxUsagePoints / 2);
  }
  return steps;
}

namespace {

constexpr int32_t kMaxLanes = 8;

// The /nodes row serving each (allocation, rank): the first, if several.
using NodeIndex = std::map<std::pair<size_t, int32_t>, int32_t>;

NodeIndex NodeOfRank(const RunData& run) {
  NodeIndex by_rank;
  for (size_t i = run.nodes.size(); i-- > 0;) {
    const NodeRecord& node = run.nodes[i];
    if (node.allocation < 0) continue;
    by_rank[{static_cast<size_t>(node.allocation), node.rank}] =
        static_cast<int32_t>(i);
  }
  return by_rank;
}

// The nodes an attempt ran on: the latest attempt's node_ids, else the node
// its rank served in the allocation the attempt ran in (a rank number is
// reused by every allocation, on other nodes).
std::vector<int32_t> AttemptNodes(const RunData& run, const Attempt& a,
                                  const NodeIndex& by_rank) {
  const TaskRow& task = run.tasks[a.row];
  if (a.latest && !task.node_ids.empty()) return task.node_ids;
  auto found = by_rank.find({a.allocation, a.rank});
  if (found == by_rank.end()) return {};
  return {found->second};
}

// Puts each bar (sorted by start) in the first lane of its node that is
// free, opening lanes up to kMaxLanes, then sharing the earliest-free one.
void AssignLanes(GanttData* gantt) {
  std::vector<std::vector<double>> free_at(gantt->lanes.size());
  for (GanttBar& bar : gantt->bars) {
    std::vector<double>& lanes = free_at[static_cast<size_t>(bar.node)];
    auto lane = std::find_if(lanes.begin(), lanes.end(),
                             [&](double t) { return t <= bar.start; });
    if (lane == lanes.end() && lanes.size() < kMaxLanes) {
      lanes.push_back(bar.end);
      lane = lanes.end() - 1;
    } else if (lane == lanes.end()) {
      lane = std::min_element(lanes.begin(), lanes.end());
    }
    *lane = std::max(*lane, bar.end);
    bar.lane = static_cast<int32_t>(lane - lanes.begin());
  }
  for (size_t node = 0; node < free_at.size(); ++node) {
    gantt->lanes[node] =
        std::max<int32_t>(1, static_cast<int32_t>(free_at[node].size()));
  }
}

// Joins neighbouring bars of one lane and state that are closer than
// `slack` seconds: at chart width they would touch anyway.
std::vector<GanttBar> MergeBars(std::vector<GanttBar> bars, double slack) {
  std::stable_sort(bars.begin(), bars.end(), [](const auto& a, const auto& b) {
    return std::tie(a.node, a.lane, a.start) <
           std::tie(b.node, b.lane, b.start);
  });
  std::vector<GanttBar> merged;
  for (const GanttBar& bar : bars) {
    GanttBar* last = merged.empty() ? nullptr : &merged.back();
    if (last && last->node == bar.node && last->lane == bar.lane &&
        last->state == bar.state && bar.start - last->end <= slack) {
      last->end = std::max(last->end, bar.end);
      last->merged += bar.merged;
      continue;
    }
    merged.push_back(bar);
  }
  return merged;
}

}  // namespace

double NodeBusySeconds(const RunData& run,
                       const std::vector<Attempt>& attempts) {
  const NodeIndex by_rank = NodeOfRank(run);
  std::vector<std::vector<std::pair<double, double>>> spans(run.nodes.size());
  for (const Attempt& a : attempts) {
    for (int32_t node : AttemptNodes(run, a, by_rank)) {
      if (node < 0 || static_cast<size_t>(node) >= spans.size()) continue;
      spans[static_cast<size_t>(node)].emplace_back(a.start, a.end);
    }
  }
  double busy = 0;
  for (auto& node : spans) {
    if (node.empty()) continue;
    double from = node.front().first, to = node.front().second;
    for (const auto& span : node) {
      from = std::min(from, span.first);
      to = std::max(to, span.second);
    }
    busy += (to - from) - UncoveredTime(node, from, to);
  }
  return busy;
}

GanttData LayOutGantt(const RunData& run, const std::vector<Attempt>& attempts,
                      double started_at, size_t max_bars) {
  GanttData gantt;
  gantt.lanes.assign(run.nodes.size(), 1);
  const NodeIndex by_rank = NodeOfRank(run);
  double span = 0;
  for (const Attempt& a : attempts) {
    for (int32_t node : AttemptNodes(run, a, by_rank)) {
      if (node < 0 || static_cast<size_t>(node) >= run.nodes.size()) continue;
      gantt.bars.push_back(GanttBar{node, 0, a.start - started_at,
                                    a.end - started_at, a.state, a.row, 1});
      span = std::max(span, a.end - started_at);
    }
  }
  std::stable_sort(
      gantt.bars.begin(), gantt.bars.end(),
      [](const auto& a, const auto& b) { return a.start < b.start; });
  AssignLanes(&gantt);
  // Each round merges over 4x the slack: 1/2000 of the span (a fraction of
  // a pixel) first, up to several spans (one bar per lane and state).
  double slack = span / 2000;
  for (int round = 0; round < 8 && gantt.bars.size() > max_bars; ++round) {
    gantt.bars = MergeBars(std::move(gantt.bars), slack);
    gantt.merged = true;
    slack *= 4;
  }
  return gantt;
}

}  // namespace sortie
