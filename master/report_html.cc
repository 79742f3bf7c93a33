// The HTML form of `sortie report`: one self-contained page (inline CSS and
// SVG, no scripts, no external resources) that opens from a file:// URL
// anywhere, e.g. copied off the cluster.
#include "master/report_command.h"
#include "master/report_svg.h"

namespace sortie {
namespace {

constexpr size_t kMaxFailuresShown = 200;

constexpr std::string_view kStyle =
    "body{font-family:sans-serif;margin:16px;color:#222;max-width:1040px}"
    "h1{font-size:20px}h2{font-size:16px;margin-top:24px}"
    "table{border-collapse:collapse;font-size:13px}"
    "td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}"
    "th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}"
    "pre{background:#f8f8f8;padding:6px;font-size:12px;white-space:pre-wrap}"
    ".swatch{display:inline-block;width:10px;height:10px;margin-right:4px}"
    "figure{margin:8px 0}figcaption{font-size:12px;color:#555}";

std::string Row(std::initializer_list<std::string> cells,
                std::string_view tag = "td") {
  std::string row = "<tr>";
  for (const std::string& cell : cells) {
    row += "<" + std::string(tag) + ">" + cell + "</" + std::string(tag) + ">";
  }
  return row + "</tr>";
}

std::string StateTable(const ReportData& r) {
  std::string html = "<table>" + Row({"state", "tasks"}, "th");
  for (size_t i = 0; i < kTaskStateCount; ++i) {
    if (r.counts[i] == 0) continue;
    const auto state = static_cast<TaskState>(i);
    html += Row({"<span class=\"swatch\" style=\"background:" +
                     std::string(StateColour(state)) + "\"></span>" +
                     std::string(StateName(state)),
                 std::to_string(r.counts[i])});
  }
  return html + Row({"total", std::to_string(r.total)}) + "</table>";
}

// The wall time and nodes; for a resumed run, its allocations too.
std::string WallTimeText(const ReportData& r) {
  const std::string nodes = std::to_string(r.nodes) + " nodes (" +
                            std::to_string(r.cores) + " cores)";
  if (r.allocations.size() <= 1) {
    return "Wall time " + FormatSeconds(r.wall) + " on " + nodes + ".";
  }
  return "Wall time " + FormatSeconds(r.wall) + " in " +
         std::to_string(r.allocations.size()) + " allocations, " +
         FormatSeconds(r.allocated) +
         " allocated (the wall time less the waits between them); the "
         "latest on " +
         nodes + ".";
}

std::string AccountingTable(const ReportData& r) {
  const Overhead& o = r.overhead;
  return "<table>" + Row({"", "used", "allocated", "utilization"}, "th") +
         Row({"node-hours with a task running", FormatNumber(r.node_hours_busy),
              FormatNumber(r.node_hours_allocated),
              FormatPercent(r.node_hours_busy, r.node_hours_allocated)}) +
         Row({"node-hours of tasks (nodes &times; runtime)",
              FormatNumber(r.node_hours_used), "", ""}) +
         Row({"core-hours", FormatNumber(r.core_hours_used),
              FormatNumber(r.core_hours_allocated),
              FormatPercent(r.core_hours_used, r.core_hours_allocated)}) +
         "</table><p>" + WallTimeText(r) +
         " Pilot overhead (no task running anywhere): " +
         FormatSeconds(o.Total()) + " = " +
         FormatPercent(o.Total(), r.allocated) +
         (r.allocations.size() > 1 ? " of allocated time" : " of wall time") +
         " (startup " + FormatSeconds(o.startup) + ", gaps " +
         FormatSeconds(o.gaps) + ", teardown " + FormatSeconds(o.teardown) +
         "). Refill latency (task end to next start on its rank): median " +
         FormatSeconds(o.refill_median) + ", max " +
         FormatSeconds(o.refill_max) + " over " + std::to_string(o.refills) +
         " ends.</p>";
}

std::string StatsCell(const Stats* s) {
  if (s == nullptr || s->count == 0) return "-";
  return FormatNumber(s->Mean()) + " [" + FormatNumber(s->min) + ", " +
         FormatNumber(s->max) + "]";
}

std::string TagSection(const ReportData& r, const TagTable& t) {
  std::string head = "<tr><th>" + XmlEscape(t.key) +
                     "</th><th>tasks</th><th>done</th><th>runtime s</th>";
  for (const std::string& key : r.result_keys) {
    head += "<th>" + XmlEscape(key) + "</th>";
  }
  std::string html =
      "<h2>By tag " + XmlEscape(t.key) + "</h2><p>mean [min, max]" +
      (t.untagged
           ? "; " + std::to_string(t.untagged) + " tasks without this tag"
           : "") +
      "</p><table>" + head + "</tr>";
  for (const TagGroup& g : t.groups) {
    html += "<tr><td>" + XmlEscape(g.value) + "</td><td>" +
            std::to_string(g.tasks) + "</td><td>" + std::to_string(g.done) +
            "</td><td>" + StatsCell(&g.runtime) + "</td>";
    for (const std::string& key : r.result_keys) {
      auto found = g.results.find(key);
      html += "<td>" +
              StatsCell(found == g.results.end() ? nullptr : &found->second) +
              "</td>";
    }
    html += "</tr>";
  }
  return html + "</table>";
}

std::string FailureSection(const ReportData& r) {
  if (r.failures.empty()) return "";
  std::string html =
      "<h2>Failures (" + std::to_string(r.failures.size()) + ")</h2>";
  for (size_t i = 0; i < r.failures.size() && i < kMaxFailuresShown; ++i) {
    const FailureDetail& f = r.failures[i];
    html += "<p><b>" + XmlEscape(f.id) + "</b> " +
            std::string(StateName(f.state)) + " " +
            FormatExit(f.exit_code, f.signal) + " " + XmlEscape(f.reason) +
            "</p>";
    if (!f.stderr_tail.empty()) {
      html += "<pre>" + XmlEscape(f.stderr_tail) + "</pre>";
    }
  }
  return html;
}

// The tag to plot against: the first numeric one, else the first.
const TagTable* ChartTag(const ReportData& r) {
  for (const TagTable& t : r.tags) {
    if (t.numeric && !t.groups.empty()) return &t;
  }
  return r.tags.empty() ? nullptr : &r.tags.front();
}

std::string Figure(std::string_view id, const std::string& svg,
                   const std::string& caption) {
  return "<figure id=\"" + std::string(id) + "\">" + svg + "<figcaption>" +
         XmlEscape(caption) + "</figcaption></figure>";
}

std::string UsageCaption(const ReportData& r) {
  const std::string busy =
      "Busy cores (cores the running tasks asked for) over time";
  if (r.allocations.size() <= 1) {
    return busy + "; the right axis is the share of all cores (utilization).";
  }
  bool same = true;
  for (int64_t cores : r.allocation_cores) {
    same = same && cores == r.allocation_cores.front();
  }
  return busy + "; the dashed line is each allocation's cores while it ran, " +
         "hatched: the waits between allocations (nothing allocated)" +
         (same ? "; the right axis is the share of all cores (utilization)."
               : "; no utilization axis, as the allocations had different "
                 "numbers of cores (see the accounting below).");
}

std::string Charts(const RunData& run, const ReportData& r) {
  const GanttData gantt =
      LayOutGantt(run, r.attempts, r.started_at, kMaxGanttBars);
  std::string html = Figure(
      "gantt", GanttSvg(run, gantt, r),
      "Tasks over nodes, coloured by state; hover a bar for the task." +
          std::string(r.allocations.size() > 1
                          ? " Each allocation's nodes are a group of rows; "
                            "hatched: the waits between allocations."
                          : "") +
          std::string(gantt.merged ? " Neighbouring bars of one state are "
                                     "merged (too many tasks to draw singly)."
                                   : ""));
  html += Figure("usage", UsageSvg(r), UsageCaption(r));
  if (const TagTable* tag = ChartTag(r)) {
    const std::string metric = ChartMetric(r);
    html += Figure(
        "by-tag", TagChartSvg(*tag, metric),
        metric + " against tag " + tag->key + ": mean with min/max whiskers.");
  }
  return html;
}

}  // namespace

std::string ReportHtml(const std::string& path, const RunData& run,
                       const ReportData& r) {
  std::string html =
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>sortie report: " +
      XmlEscape(path) + "</title><style>" + std::string(kStyle) +
      "</style></head><body><h1>sortie report: " + XmlEscape(path) + "</h1>";
  html += "<p>" +
          std::string(r.finished ? "Finished run"
                                 : "Snapshot of a run still "
                                   "going") +
          ", manifest " + XmlEscape(run.info.manifest_path) + ".</p>";
  html += Charts(run, r);
  html += "<h2>Tasks</h2>" + StateTable(r);
  html += "<h2>Accounting</h2>" + AccountingTable(r);
  html += FailureSection(r);
  for (const TagTable& t : r.tags) html += TagSection(r, t);
  return html + "</body></html>\n";
}

}  // namespace sortie
