// `sortie report RUN.h5 [--html FILE] [--by TAG ...]`: a summary of a run
// (accounting, overhead, failures, per-tag aggregates) as text, and
// optionally as one self-contained HTML page with SVG charts. No MPI.
#pragma once

#include <string>
#include <vector>

#include "master/report_data.h"

namespace sortie {

/// What `sortie report` was asked for.
struct ReportOptions {
  std::string path;             ///< RUN.h5
  std::string html;             ///< write the HTML page here when not empty
  std::vector<std::string> by;  ///< tag keys to group by (empty: all small)
};

/// Prints the report of `options.path` and writes the page. Returns 0, or 2
/// with a message on stderr when the file is missing or not a sortie run,
/// or the page cannot be written.
int ReportCommand(const ReportOptions& options);

/// The text summary of `report` for the run in `path`.
std::string ReportText(const std::string& path, const RunData& run,
                       const ReportData& report);

/// The HTML page: the same summary as tables plus inline SVG charts.
std::string ReportHtml(const std::string& path, const RunData& run,
                       const ReportData& report);

/// "12.3 s", "4 min 05 s", "2 h 03 min"; "-" for NaN.
std::string FormatSeconds(double seconds);
/// A number with about four significant digits; "-" for NaN.
std::string FormatNumber(double value);
/// `part / whole` as "12.3%"; "-" when whole is 0.
std::string FormatPercent(double part, double whole);
/// "exit 3", "signal 9".
std::string FormatExit(int32_t exit_code, int32_t signal);
/// The metric the tag chart plots: "time" when /results has it, else the
/// first numeric result key, else "runtime".
std::string ChartMetric(const ReportData& report);

}  // namespace sortie
