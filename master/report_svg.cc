#include "master/report_svg.h"

#include <algorithm>
#include <cmath>

#include "master/report_svg_parts.h"

namespace sortie {

using namespace svg;  // NOLINT: the charts' drawing pieces

namespace {

std::string BarTitle(const RunData& run, const GanttBar& bar) {
  const TaskRow& task = run.tasks[bar.row];
  std::string title =
      bar.merged > 1 ? std::to_string(bar.merged) + " tasks from " + task.id
                     : task.id;
  return title + " " + std::string(StateName(bar.state)) + " " +
         Label(std::round(bar.start * 100) / 100) + "-" +
         Label(std::round(bar.end * 100) / 100) + " s on " +
         run.nodes[static_cast<size_t>(bar.node)].host;
}

// A swatch and name for each state that has bars.
std::string Legend(const GanttData& gantt, double y) {
  std::vector<bool> present(kTaskStateCount, false);
  for (const GanttBar& bar : gantt.bars) {
    present[static_cast<size_t>(bar.state)] = true;
  }
  std::string svg;
  double x = kLeft;
  for (size_t i = 0; i < kTaskStateCount; ++i) {
    if (!present[i]) continue;
    const auto state = static_cast<TaskState>(i);
    svg += "<rect x=\"" + Num(x) + "\" y=\"" + Num(y) +
           "\" width=\"12\" height=\"12\" fill=\"" +
           std::string(StateColour(state)) + "\"/>";
    svg += Text(x + 16, y + 10, StateName(state), "start");
    x += 110;
  }
  return svg;
}

}  // namespace

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string_view StateColour(TaskState state) {
  switch (state) {
    case TaskState::kDone:
      return "#2ca02c";
    case TaskState::kFailed:
      return "#d62728";
    case TaskState::kTimeout:
      return "#ff7f0e";
    case TaskState::kInterrupted:
      return "#9467bd";
    case TaskState::kRunning:
      return "#1f77b4";
    case TaskState::kSkipped:
      return "#8c8c8c";
    case TaskState::kPending:
      return "#c7c7c7";
  }
  return "#000";
}

std::vector<double> NiceTicks(double lo, double hi, int count) {
  std::vector<double> ticks;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi) || count < 1) {
    if (std::isfinite(lo)) ticks.push_back(lo);
    return ticks;
  }
  const double raw = (hi - lo) / count;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double factor : {1.0, 2.0, 5.0, 10.0}) {
    step = factor * power;
    if (step >= raw) break;
  }
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9;
       t += step) {
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  }
  return ticks;
}

namespace {

// A line above the first row (at `top`) of allocation `index` (none above
// the chart's first row) and its label "allocation K" there, where its rows
// are empty: left of its start or right of its end, whichever is wider.
std::string AllocationRule(const ReportData& r, const Scale& x, size_t index,
                           double top) {
  std::string svg = top > kTop ? Line(6, top, x.b, top, "stroke=\"#888\"") : "";
  if (index >= r.allocations.size()) return svg;
  const double from = x(r.allocations[index].start - r.started_at);
  const double to = x(r.allocations[index].end - r.started_at);
  const std::string label = "allocation " + std::to_string(index + 1);
  const std::string style =
      "fill=\"#555\" stroke=\"#fff\" stroke-width=\"3\" "
      "paint-order=\"stroke\" font-style=\"italic\"";
  if (from - x.a >= x.b - to) {
    return svg + Text(x.a + 4, top + 11, label, "start", style);
  }
  return svg + Text(x.b - 4, top + 11, label, "end", style);
}

// True when the /nodes rows are of more than one allocation.
bool SeveralAllocations(const RunData& run) {
  for (const NodeRecord& node : run.nodes) {
    if (node.allocation != run.nodes.front().allocation) return true;
  }
  return false;
}

}  // namespace

std::string GanttSvg(const RunData& run, const GanttData& gantt,
                     const ReportData& r) {
  double lanes = 0;
  for (int32_t l : gantt.lanes) lanes += l;
  lanes = std::max(lanes, 1.0);
  const double plot = std::clamp(lanes * 12, 120.0, 900.0);
  const double lane_h = plot / lanes;
  const double height = kTop + plot + kBottom + kLegend;
  const Scale x{0, std::max(r.wall, 1e-3), kLeft, kLeft + kPlotWidth};
  std::string svg = Open(height, "Gantt chart of tasks over nodes");
  svg += TimeAxis(x, kTop, kTop + plot, "seconds since the run started");
  svg += Legend(gantt, kTop + plot + kBottom + 4);
  svg += WaitBands(r, x, kTop, kTop + plot, "gantt-wait");
  std::vector<double> node_top;
  std::string rules;  // drawn over the bars
  const bool several = SeveralAllocations(run);
  double y = kTop;
  // Every node gets a label when rows are tall enough for the text, else
  // every k-th node does.
  const double row_h =
      plot / std::max(1.0, static_cast<double>(gantt.lanes.size()));
  const auto label_every = static_cast<size_t>(std::ceil(14.0 / row_h));
  for (size_t node = 0; node < gantt.lanes.size(); ++node) {
    node_top.push_back(y);
    const int32_t allocation = run.nodes[node].allocation;
    if (several &&
        (node == 0 || allocation != run.nodes[node - 1].allocation)) {
      rules += AllocationRule(r, x, static_cast<size_t>(allocation), y);
    }
    const double h = lane_h * gantt.lanes[node];
    if (node % std::max<size_t>(1, label_every) == 0) {
      svg += Text(kLeft - 6, y + std::min(h, 14.0) / 2 + 4,
                  run.nodes[node].host + " #" + std::to_string(node), "end");
    }
    svg += Line(kLeft, y + h, x.b, y + h, "stroke=\"#f0f0f0\"");
    y += h;
  }
  for (const GanttBar& bar : gantt.bars) {
    const double bx = x(bar.start);
    // Short tasks still show: at least 2 px wide.
    const double w = std::max(x(bar.end) - bx, 2.0);
    const double by =
        node_top[static_cast<size_t>(bar.node)] + bar.lane * lane_h;
    svg += "<rect x=\"" + Num(bx) + "\" y=\"" + Num(by + lane_h * 0.1) +
           "\" width=\"" + Num(w) + "\" height=\"" + Num(lane_h * 0.8) +
           "\" fill=\"" + std::string(StateColour(bar.state)) + "\"><title>" +
           XmlEscape(BarTitle(run, bar)) + "</title></rect>";
  }
  return svg + rules + "</svg>";
}

namespace {

const Stats* MetricOf(const TagGroup& group, const std::string& metric) {
  if (metric == "runtime") return &group.runtime;
  auto found = group.results.find(metric);
  return found == group.results.end() ? nullptr : &found->second;
}

}  // namespace

std::string TagChartSvg(const TagTable& table, const std::string& metric) {
  constexpr double kPlot = 260;
  const size_t n = table.groups.size();
  double lo = 0, hi = 1, ylo = 0, yhi = 1;
  bool first = true;
  for (const TagGroup& g : table.groups) {
    const Stats* s = MetricOf(g, metric);
    if (s == nullptr || s->count == 0) continue;
    if (first) ylo = s->min, yhi = s->max, first = false;
    ylo = std::min(ylo, s->min);
    yhi = std::max(yhi, s->max);
  }
  ylo = std::min(ylo, 0.0);
  if (yhi <= ylo) yhi = ylo + 1;
  if (table.numeric && n > 0) {
    lo = table.groups.front().number, hi = table.groups.back().number;
    const double pad = hi > lo ? (hi - lo) * 0.05 : 1;
    lo -= pad, hi += pad;
  } else {
    lo = -0.5, hi = static_cast<double>(n) - 0.5;
  }
  const Scale x{lo, hi, kLeft, kLeft + kPlotWidth};
  const Scale y{ylo, yhi * 1.05, kTop + kPlot, kTop};
  std::string svg =
      Open(kTop + kPlot + kBottom, metric + " by tag " + table.key);
  const std::string unit = metric == "runtime" ? " s" : "";
  svg += YAxis(y, kLeft, x.b, metric + unit + " (mean, min-max)");
  svg += Line(kLeft, y.a, x.b, y.a, "stroke=\"#333\"");
  if (table.numeric) {
    for (double t : NiceTicks(lo, hi, 8)) {
      svg += Text(x(t), y.a + 14, Label(t), "middle");
    }
  }
  svg += Text((x.a + x.b) / 2, y.a + 32, "tag " + table.key, "middle");
  std::string trend;
  for (size_t i = 0; i < n; ++i) {
    const TagGroup& g = table.groups[i];
    const double px = x(table.numeric ? g.number : static_cast<double>(i));
    if (!table.numeric) svg += Text(px, y.a + 14, g.value, "middle");
    const Stats* s = MetricOf(g, metric);
    if (s == nullptr || s->count == 0) continue;
    svg += Line(px, y(s->min), px, y(s->max), "stroke=\"#555\"");
    svg += Line(px - 5, y(s->min), px + 5, y(s->min), "stroke=\"#555\"");
    svg += Line(px - 5, y(s->max), px + 5, y(s->max), "stroke=\"#555\"");
    svg += "<circle cx=\"" + Num(px) + "\" cy=\"" + Num(y(s->Mean())) +
           "\" r=\"5\" fill=\"#ff7f0e\"><title>" +
           XmlEscape(table.key + "=" + g.value + ": mean " + Label(s->Mean()) +
                     ", min " + Label(s->min) + ", max " + Label(s->max) +
                     ", " + std::to_string(s->count) + " values") +
           "</title></circle>";
    trend += (trend.empty() ? "M" : " L") + Num(px) + " " + Num(y(s->Mean()));
  }
  if (!trend.empty()) {
    svg += "<path d=\"" + trend + "\" fill=\"none\" stroke=\"#ff7f0e\"/>";
  }
  return svg + "</svg>";
}

}  // namespace sortie
