// The busy-cores chart: cores the running tasks asked for over time, under
// each allocation's cores, with the utilization axis when one scale fits.
#include <algorithm>

#include "master/report_svg.h"
#include "master/report_svg_parts.h"

namespace sortie {

using namespace svg;  // NOLINT: the charts' drawing pieces

namespace {

// An allocation on the usage chart: seconds since the start, and its cores.
struct Stint {
  double start = 0;
  double end = 0;
  int64_t cores = 0;
};

std::vector<Stint> Stints(const ReportData& r) {
  std::vector<Stint> stints;
  for (size_t i = 0; i < r.allocations.size(); ++i) {
    stints.push_back(
        Stint{r.allocations[i].start - r.started_at,
              r.allocations[i].end - r.started_at,
              i < r.allocation_cores.size() ? r.allocation_cores[i] : r.cores});
  }
  return stints;
}

// The cores a utilization axis can be a share of: those of every
// allocation when they all had as many; else 0 (no one scale fits them).
int64_t CommonCores(const std::vector<Stint>& stints) {
  for (const Stint& s : stints) {
    if (s.cores != stints.front().cores) return 0;
  }
  return stints.empty() ? 0 : stints.front().cores;
}

// Pixels a label of `text` takes at the charts' font size, about.
double TextWidth(std::string_view text) {
  return 6.2 * static_cast<double>(text.size());
}

// Each allocation's cores as a dashed line over its own time, labelled
// "allocation K: N cores" (or "N cores", or not at all) as room allows.
std::string CoreLines(const std::vector<Stint>& stints, const Scale& x,
                      const Scale& y) {
  std::string svg;
  for (size_t i = 0; i < stints.size(); ++i) {
    const Stint& s = stints[i];
    const double level = y(static_cast<double>(s.cores));
    const double from = x(s.start), to = x(s.end);
    svg += Line(from, level, to, level,
                "stroke=\"#d62728\" stroke-dasharray=\"6 4\"");
    const std::string cores = std::to_string(s.cores) + " cores";
    const std::string full =
        "allocation " + std::to_string(i + 1) + ": " + cores;
    for (const std::string& label : {full, cores}) {
      if (TextWidth(label) + 8 > to - from) continue;
      svg += Text(to - 4, level - 4, label, "end");
      break;
    }
  }
  return svg;
}

// The busy cores' step line from `from` to `to` (seconds since the start):
// up from zero at `from` to the level then, along the steps to `to`.
std::string BusyPath(const std::vector<UsagePoint>& usage, const Scale& x,
                     const Scale& y, double from, double to) {
  std::string path = "M" + Num(x(from)) + " " + Num(y(0));
  double before = 0;
  for (const UsagePoint& p : usage) {
    if (p.time < from) before = p.busy_cores;
  }
  if (before != 0) path += " V" + Num(y(before));
  for (const UsagePoint& p : usage) {
    if (p.time < from) continue;
    if (p.time > to) break;
    path += " H" + Num(x(p.time)) + " V" + Num(y(p.busy_cores));
  }
  return path + " H" + Num(x(to));
}

}  // namespace

std::string UsageSvg(const ReportData& r) {
  constexpr double kPlot = 220;
  const std::vector<Stint> stints = Stints(r);
  const int64_t cores = r.cores;
  double peak = static_cast<double>(cores);
  for (const Stint& s : stints)
    peak = std::max(peak, static_cast<double>(s.cores));
  for (const UsagePoint& p : r.usage) peak = std::max(peak, p.busy_cores);
  const double span = r.wall;
  const Scale x{0, std::max(span, 1e-3), kLeft, kLeft + kPlotWidth};
  const Scale y{0, std::max(peak, 1.0), kTop + kPlot, kTop};
  std::string svg =
      Open(kTop + kPlot + kBottom, "busy cores (utilization) over time");
  svg += TimeAxis(x, kTop, kTop + kPlot, "seconds since the run started");
  svg += WaitBands(r, x, kTop, kTop + kPlot, "usage-wait");
  svg += YAxis(y, kLeft, x.b, "busy cores");
  // One allocation: one line across the chart, as before allocations were
  // known; several: each its own, and the line breaks over the waits.
  std::vector<std::string> paths;
  if (stints.size() <= 1) {
    svg += Line(kLeft, y(static_cast<double>(cores)), x.b,
                y(static_cast<double>(cores)),
                "stroke=\"#d62728\" stroke-dasharray=\"6 4\"");
    svg += Text(x.b - 4, y(static_cast<double>(cores)) - 4,
                "all " + std::to_string(cores) + " cores", "end");
    paths.push_back(BusyPath(r.usage, x, y, 0, span));
  } else {
    svg += CoreLines(stints, x, y);
    for (const Stint& s : stints) {
      paths.push_back(BusyPath(r.usage, x, y, s.start, s.end));
    }
  }
  // Utilization on the right: busy cores as a share of all of them.
  const int64_t base = stints.size() <= 1 ? cores : CommonCores(stints);
  for (int percent = 0; base > 0 && percent <= 100; percent += 25) {
    const double level = static_cast<double>(base) * percent / 100.0;
    svg += Text(x.b + 4, y(level) + 4, std::to_string(percent) + "%", "start",
                "fill=\"#d62728\"");
  }
  std::string area, line;
  for (const std::string& path : paths) {
    area += (area.empty() ? "" : " ") + path + " V" + Num(y(0)) + " Z";
    line += (line.empty() ? "" : " ") + path;
  }
  svg += "<path d=\"" + area +
         "\" fill=\"#1f77b4\" fill-opacity=\"0.25\" stroke=\"none\"/>";
  svg += "<path d=\"" + line +
         "\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\"/>";
  return svg + "</svg>";
}

}  // namespace sortie
