// The text form of `sortie report`.
#include <cmath>
#include <cstdio>
#include <sstream>
#include <vector>

#include "common/utf8.h"
#include "master/report_command.h"

namespace sortie {
namespace {

constexpr size_t kTailLines = 10;
constexpr size_t kMaxFailuresShown = 20;

// The last `count` lines of `text`, one string each.
std::vector<std::string> LastLines(const std::string& text, size_t count) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.size() > count)
    lines.erase(lines.begin(),
                lines.end() - static_cast<std::ptrdiff_t>(count));
  return lines;
}

void States(const ReportData& r, std::ostream& out) {
  out << "tasks: " << r.total;
  for (size_t i = 0; i < kTaskStateCount; ++i) {
    if (r.counts[i] > 0) {
      out << "  " << StateName(static_cast<TaskState>(i)) << " " << r.counts[i];
    }
  }
  out << "\n";
}

void Accounting(const ReportData& r, std::ostream& out) {
  out << "wall time: " << FormatSeconds(r.wall)
      << (r.finished ? "" : " so far (run not finished)") << "\n";
  const bool resumed = r.allocations.size() > 1;
  if (resumed) {
    out << "allocations: " << r.allocations.size() << ", "
        << FormatSeconds(r.allocated)
        << " allocated (the wall time less the waits between them)\n";
  }
  out << "nodes: " << r.nodes << ", cores: " << r.cores
      << (resumed ? " (the latest allocation)" : "") << "\n"
      << "node-hours: " << FormatNumber(r.node_hours_allocated)
      << " allocated, " << FormatNumber(r.node_hours_busy)
      << " with a task running ("
      << FormatPercent(r.node_hours_busy, r.node_hours_allocated)
      << "), tasks' nodes x runtime " << FormatNumber(r.node_hours_used) << "\n"
      << "core-hours: " << FormatNumber(r.core_hours_used) << " used of "
      << FormatNumber(r.core_hours_allocated) << " allocated ("
      << FormatPercent(r.core_hours_used, r.core_hours_allocated)
      << " utilization)\n";
}

void OverheadText(const ReportData& r, std::ostream& out) {
  const Overhead& o = r.overhead;
  out << "pilot overhead: " << FormatSeconds(o.Total()) << " ("
      << FormatPercent(o.Total(), r.allocated)
      << (r.allocations.size() > 1 ? " of allocated time" : " of wall time")
      << ") with no task running anywhere: startup " << FormatSeconds(o.startup)
      << ", gaps " << FormatSeconds(o.gaps) << ", teardown "
      << FormatSeconds(o.teardown) << "\n";
  if (o.refills > 0) {
    out << "refill latency: median " << FormatSeconds(o.refill_median)
        << ", max " << FormatSeconds(o.refill_max) << " over " << o.refills
        << " task ends (time from a task ending to the next start on its "
           "rank)\n";
  }
}

void FailuresText(const ReportData& r, std::ostream& out) {
  if (r.failures.empty()) return;
  out << "\nfailures (" << r.failures.size() << "):\n";
  for (size_t i = 0; i < r.failures.size() && i < kMaxFailuresShown; ++i) {
    const FailureDetail& f = r.failures[i];
    out << "  " << f.id << "  " << StateName(f.state) << " "
        << FormatExit(f.exit_code, f.signal);
    if (!f.reason.empty()) out << "  " << SafeText(f.reason);
    out << "\n";
    for (const std::string& line : LastLines(f.stderr_tail, kTailLines)) {
      out << "    | " << line << "\n";
    }
  }
  if (r.failures.size() > kMaxFailuresShown) {
    out << "  ... and " << r.failures.size() - kMaxFailuresShown << " more\n";
  }
}

std::string StatsCells(const Stats& s) {
  if (s.count == 0) return "-";
  return FormatNumber(s.Mean()) + " [" + FormatNumber(s.min) + ", " +
         FormatNumber(s.max) + "]";
}

void TagText(const ReportData& r, const TagTable& table, std::ostream& out) {
  out << "\nby tag \"" << table.key << "\" (" << table.groups.size()
      << " values";
  if (table.untagged > 0) out << "; " << table.untagged << " tasks without it";
  out << "); mean [min, max]:\n  " << table.key << "\ttasks\tdone\truntime s";
  for (const std::string& key : r.result_keys) out << "\t" << key;
  out << "\n";
  for (const TagGroup& g : table.groups) {
    out << "  " << g.value << "\t" << g.tasks << "\t" << g.done << "\t"
        << StatsCells(g.runtime);
    for (const std::string& key : r.result_keys) {
      auto found = g.results.find(key);
      out << "\t"
          << (found == g.results.end() ? "-" : StatsCells(found->second));
    }
    out << "\n";
  }
}

}  // namespace

std::string FormatSeconds(double seconds) {
  if (std::isnan(seconds)) return "-";
  char text[48];
  if (seconds < 1e-3) {
    std::snprintf(text, sizeof(text), "%.0f us", seconds * 1e6);
  } else if (seconds < 0.1) {
    std::snprintf(text, sizeof(text), "%.1f ms", seconds * 1e3);
  } else if (seconds < 120) {
    std::snprintf(text, sizeof(text), "%.2f s", seconds);
  } else if (seconds < 7200) {
    std::snprintf(text, sizeof(text), "%.0f min %02.0f s",
                  std::floor(seconds / 60), std::fmod(std::floor(seconds), 60));
  } else {
    std::snprintf(text, sizeof(text), "%.0f h %02.0f min",
                  std::floor(seconds / 3600),
                  std::fmod(std::floor(seconds / 60), 60));
  }
  return text;
}

std::string FormatNumber(double value) {
  if (std::isnan(value)) return "-";
  char text[48];
  std::snprintf(text, sizeof(text), "%.4g", value);
  return text;
}

std::string FormatPercent(double part, double whole) {
  if (!(whole > 0)) return "-";
  char text[48];
  std::snprintf(text, sizeof(text), "%.1f%%", 100.0 * part / whole);
  return text;
}

std::string FormatExit(int32_t exit_code, int32_t signal) {
  return signal != 0 ? "signal " + std::to_string(signal)
                     : "exit " + std::to_string(exit_code);
}

std::string ChartMetric(const ReportData& report) {
  for (const std::string& key : report.result_keys) {
    if (key == "time") return key;
  }
  return report.result_keys.empty() ? "runtime" : report.result_keys.front();
}

std::string ReportText(const std::string& path, const RunData& run,
                       const ReportData& report) {
  std::ostringstream out;
  out << path << ": " << (report.finished ? "finished run" : "run snapshot")
      << ", manifest " << run.info.manifest_path << "\n";
  States(report, out);
  Accounting(report, out);
  OverheadText(report, out);
  FailuresText(report, out);
  for (const TagTable& table : report.tags) TagText(report, table, out);
  if (!run.has_results)
    out << "\n(no /results rows: no task reported results)\n";
  return out.str();
}

}  // namespace sortie
