// The drawing pieces the report's charts share.
#include "master/report_svg_parts.h"

#include <cmath>
#include <cstdio>

#include "master/report_command.h"
#include "master/report_svg.h"

namespace sortie::svg {

std::string Num(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f", value);
  return text;
}

std::string Label(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

std::string Open(double height, std::string_view label) {
  // Inline in HTML: the parser puts <svg> in the SVG namespace by itself.
  return "<svg width=\"" + Num(kWidth) + "\" height=\"" + Num(height) +
         "\" viewBox=\"0 0 " + Num(kWidth) + " " + Num(height) +
         "\" role=\"img\" aria-label=\"" + XmlEscape(label) +
         "\" font-family=\"sans-serif\" font-size=\"11\">" +
         "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>";
}

std::string Text(double x, double y, std::string_view text,
                 std::string_view anchor, std::string_view extra) {
  return "<text x=\"" + Num(x) + "\" y=\"" + Num(y) + "\" text-anchor=\"" +
         std::string(anchor) + "\" " + std::string(extra) + ">" +
         XmlEscape(text) + "</text>";
}

std::string Line(double x1, double y1, double x2, double y2,
                 std::string_view style) {
  return "<line x1=\"" + Num(x1) + "\" y1=\"" + Num(y1) + "\" x2=\"" + Num(x2) +
         "\" y2=\"" + Num(y2) + "\" " + std::string(style) + "/>";
}

std::string TimeAxis(const Scale& x, double top, double bottom,
                     std::string_view title) {
  std::string svg = Line(x.a, bottom, x.b, bottom, "stroke=\"#333\"");
  for (double t : NiceTicks(x.lo, x.hi, 8)) {
    svg += Line(x(t), top, x(t), bottom, "stroke=\"#e5e5e5\"");
    svg += Text(x(t), bottom + 14, Label(t), "middle");
  }
  return svg + Text((x.a + x.b) / 2, bottom + 32, title, "middle");
}

std::string YAxis(const Scale& y, double left, double right,
                  std::string_view title) {
  std::string svg = Line(left, y.a, left, y.b, "stroke=\"#333\"");
  for (double v : NiceTicks(y.lo, y.hi, 6)) {
    svg += Line(left, y(v), right, y(v), "stroke=\"#e5e5e5\"");
    svg += Text(left - 6, y(v) + 4, Label(v), "end");
  }
  return svg +
         Text(14, (y.a + y.b) / 2, title, "middle",
              "transform=\"rotate(-90 14 " + Num((y.a + y.b) / 2) + ")\"");
}

namespace {

// The hatch that fills the waits between allocations; `id` names it on the
// page (one per chart: ids are the page's, not the chart's).
std::string WaitPattern(std::string_view id) {
  return "<defs><pattern id=\"" + std::string(id) +
         "\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
         "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" "
         "fill=\"#f2f2f2\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" "
         "stroke=\"#cfcfcf\" stroke-width=\"2\"/></pattern></defs>";
}

// "between allocations" across a band from x `from` to `to`, or up it when
// the band is narrow; none when even that does not fit.
std::string WaitLabel(double from, double to, double top, double bottom) {
  constexpr std::string_view kText = "between allocations";
  const double mid = (from + to) / 2;
  if (to - from >= 120) return Text(mid, top + 14, kText, "middle");
  if (to - from < 14 || bottom - top < 120) return "";
  const double y = (top + bottom) / 2;
  return Text(mid + 4, y, kText, "middle",
              "transform=\"rotate(-90 " + Num(mid + 4) + " " + Num(y) + ")\"");
}

}  // namespace

// No allocation held nodes during a wait, so nothing there is idle time.
std::string WaitBands(const ReportData& r, const Scale& x, double top,
                      double bottom, std::string_view id) {
  std::string svg;
  for (size_t i = 1; i < r.allocations.size(); ++i) {
    const double ended = r.allocations[i - 1].end - r.started_at;
    const double resumed = r.allocations[i].start - r.started_at;
    if (!(resumed > ended)) continue;
    if (svg.empty()) svg = WaitPattern(id);
    const double from = x(ended), to = x(resumed);
    svg += "<rect x=\"" + Num(from) + "\" y=\"" + Num(top) + "\" width=\"" +
           Num(to - from) + "\" height=\"" + Num(bottom - top) +
           "\" fill=\"url(#" + std::string(id) + ")\"><title>" +
           XmlEscape("between allocations " + std::to_string(i) + " and " +
                     std::to_string(i + 1) + ": " +
                     FormatSeconds(resumed - ended)) +
           "</title></rect>" + WaitLabel(from, to, top, bottom);
  }
  return svg;
}

}  // namespace sortie::svg
