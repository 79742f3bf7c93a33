// The report's charts as inline SVG: a Gantt chart of tasks over nodes,
// busy cores over time, and a value against a tag. Drawn by hand (no
// library, no script) so the page stays one self-contained file.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "master/report_data.h"

namespace sortie {

/// `text` with &, <, >, " and ' escaped for XML and HTML.
std::string XmlEscape(std::string_view text);

/// The fill colour of bars in `state` ("#2ca02c" for DONE, ...).
std::string_view StateColour(TaskState state);

/// Ticks for an axis over [lo, hi]: about `count` round values (1, 2 or 5
/// times a power of ten) inside the range.
std::vector<double> NiceTicks(double lo, double hi, int count);

/// Tasks over nodes: y = node (lanes for tasks side by side), x = seconds
/// since the start (to `report.wall`), one bar per task and node coloured by
/// state, with a <title> tooltip. With nodes of several allocations, a rule
/// and an "allocation K" label where each allocation's rows begin; the
/// waits between allocations hatched.
std::string GanttSvg(const RunData& run, const GanttData& gantt,
                     const ReportData& report);

/// Busy cores over time as a step line under a dashed line of all cores:
/// one across the chart for one allocation; for several, each allocation's
/// own cores over its own time, the waits between them hatched and the
/// busy line broken there, and the utilization axis only when every
/// allocation had as many cores.
std::string UsageSvg(const ReportData& report);

/// The mean of `metric` ("runtime" or a /results key) per value of the
/// table's tag, with min/max whiskers; categorical x when the values are not
/// all numbers.
std::string TagChartSvg(const TagTable& table, const std::string& metric);

}  // namespace sortie
