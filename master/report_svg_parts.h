// The drawing pieces the report's charts share (report_svg.cc,
// report_usage_svg.cc): the charts' geometry, coordinates as text, text,
// lines, the axes, and the bands over the waits between allocations.
#pragma once

#include <string>
#include <string_view>

#include "master/report_data.h"

namespace sortie::svg {

inline constexpr double kWidth = 1000;
inline constexpr double kLeft = 130;  // room for host names
inline constexpr double kRight = 40;  // room for the usage chart's % labels
inline constexpr double kTop = 20;
inline constexpr double kBottom = 45;
inline constexpr double kLegend = 20;
inline constexpr double kPlotWidth = kWidth - kLeft - kRight;

/// `value` with two decimals, as coordinates are written.
std::string Num(double value);

/// `value` as printf's %g: a tick's or a tooltip's number.
std::string Label(double value);

/// Maps [lo, hi] onto [a, b] (pixels); a degenerate range maps to a.
struct Scale {
  double lo, hi, a, b;
  double operator()(double v) const {
    return hi > lo ? a + (v - lo) / (hi - lo) * (b - a) : a;
  }
};

/// A chart's opening <svg>, `height` px tall on white, named `label`.
std::string Open(double height, std::string_view label);

/// `text` (escaped) at (x, y), anchored `anchor`, with `extra` attributes.
std::string Text(double x, double y, std::string_view text,
                 std::string_view anchor, std::string_view extra = "");

/// A line from (x1, y1) to (x2, y2) with `style` attributes.
std::string Line(double x1, double y1, double x2, double y2,
                 std::string_view style);

/// The x axis of seconds at `bottom`, its ticks, grid lines up to `top` and
/// its title.
std::string TimeAxis(const Scale& x, double top, double bottom,
                     std::string_view title);

/// The y axis at `left`, its ticks, grid lines to `right` and its title.
std::string YAxis(const Scale& y, double left, double right,
                  std::string_view title);

/// Hatched bands from `top` to `bottom` over the waits between the
/// report's allocations, labelled "between allocations" where it fits;
/// `id` names the hatch on the page (one per chart). "" for one allocation.
std::string WaitBands(const ReportData& r, const Scale& x, double top,
                      double bottom, std::string_view id);

}  // namespace sortie::svg
