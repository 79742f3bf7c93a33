// Which source is the truth: while a run is going its journal is (run.h5 is
// rewritten only every --snapshot-interval); once the journal's last run
// record is RunFinished, or without a journal, RUN.h5 is (it also has the
// nodes each task ran on).
#include "master/status_command.h"

#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "common/json_escape.h"
#include "master/journal.h"
#include "master/status_summary.h"

namespace sortie {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxFailures = 10;
constexpr size_t kMaxRunningShown = 20;
constexpr int kNotARun = 2;

double Now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) +
         static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Seconds since `path` was last modified; NaN when it cannot be stat'ed.
double SecondsSinceWritten(const std::string& path, double now) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) return std::nan("");
  return now - (static_cast<double>(info.st_mtim.tv_sec) +
                static_cast<double>(info.st_mtim.tv_nsec) * 1e-9);
}

// True when the journal's last run-level record is RunFinished.
bool JournalSaysFinished(const std::string& journal) {
  bool finished = false;
  ReplayResult replay = ReplayJournal(journal, [&](const JournalRecord& r) {
    if (r.type == JournalRecordType::kRunFinished) finished = true;
    if (r.type == JournalRecordType::kRunStarted ||
        r.type == JournalRecordType::kRunResumed) {
      finished = false;
    }
  });
  return replay.error.empty() && finished;
}

RunData LoadRun(const std::string& path) {
  const std::string journal = JournalPathFor(path);
  const bool has_journal = fs::exists(journal);
  const bool has_file = fs::exists(path);
  // The master has just created the journal and not yet recorded the start.
  if (has_journal && !has_file && JournalHoldsNoRecords(journal)) {
    RunData starting;
    starting.source = "journal";
    return starting;
  }
  if (has_journal && !JournalSaysFinished(journal)) {
    try {
      return ReadRunJournal(journal, path);
    } catch (const std::exception&) {
      // A journal this sortie cannot read (another format version): RUN.h5
      // is the next best thing.
      if (!has_file) throw;
    }
  }
  if (has_file) return ReadRunData(path);
  return ReadRunJournal(journal, path);
}

// The run's RUN.h5 for a path that may name its journal instead.
std::string RunPathFor(const std::string& path) {
  constexpr std::string_view kSuffix = ".journal";
  if (path.size() > kSuffix.size() &&
      path.compare(path.size() - kSuffix.size(), kSuffix.size(), kSuffix) ==
          0) {
    return path.substr(0, path.size() - kSuffix.size());
  }
  return path;
}

std::string Number(double value, const char* format = "%.3f") {
  if (!std::isfinite(value)) return "null";
  char text[64];
  std::snprintf(text, sizeof(text), format, value);
  return text;
}

std::string Quoted(std::string_view text) {
  std::string out;
  AppendJsonString(text, &out);
  return out;
}

std::string RunningJson(const RunningTask& t) {
  return "{\"row\":" + std::to_string(t.row) + ",\"id\":" + Quoted(t.id) +
         ",\"rank\":" + std::to_string(t.rank) + ",\"host\":" + Quoted(t.host) +
         ",\"attempt\":" + std::to_string(t.attempt) +
         ",\"elapsed_s\":" + Number(t.elapsed) + "}";
}

std::string FailureJson(const FailedTask& f) {
  return "{\"row\":" + std::to_string(f.row) + ",\"id\":" + Quoted(f.id) +
         ",\"state\":" + Quoted(StateName(f.state)) +
         ",\"exit_code\":" + std::to_string(f.exit_code) +
         ",\"signal\":" + std::to_string(f.signal) +
         ",\"end_time\":" + Number(f.end_time) +
         ",\"reason\":" + Quoted(f.reason) +
         ",\"stderr_last_line\":" + Quoted(f.stderr_last_line) + "}";
}

template <class T, class ToJson>
std::string JsonList(const std::vector<T>& items, ToJson to_json) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    out += (i ? "," : "") + to_json(items[i]);
  }
  return out + "]";
}

void PrintJson(const std::string& path, const StatusSummary& s,
               double journal_age) {
  std::string out = "{\"file\":" + Quoted(path) +
                    ",\"source\":" + Quoted(s.source) +
                    ",\"finished\":" + (s.finished ? "true" : "false");
  out += ",\"started_at\":" + Number(s.started_at) +
         ",\"finished_at\":" + Number(s.finished_at) + ",\"exit_status\":" +
         (s.exit_status >= 0 ? std::to_string(s.exit_status) : "null") +
         ",\"elapsed_s\":" + Number(s.elapsed) +
         ",\"allocations\":" + std::to_string(s.allocations) +
         ",\"allocated_s\":" + Number(s.allocated) +
         ",\"total\":" + std::to_string(s.total) + ",\"counts\":{";
  for (size_t i = 0; i < kTaskStateCount; ++i) {
    out += (i ? "," : "") + Quoted(StateName(static_cast<TaskState>(i))) + ":" +
           std::to_string(s.counts[i]);
  }
  out += "},\"ended\":" + std::to_string(s.ended) +
         ",\"tasks_per_s\":" + Number(s.tasks_per_second, "%.6g") +
         ",\"running\":" + JsonList(s.running, RunningJson) +
         ",\"failures_total\":" + std::to_string(s.failures_total) +
         ",\"failures\":" + JsonList(s.failures, FailureJson) +
         ",\"journal_age_s\":" + Number(journal_age) + "}";
  std::cout << out << "\n";
}

std::string Duration(double seconds) {
  char text[32];
  const auto whole = static_cast<long long>(seconds);
  if (seconds < 60) {
    std::snprintf(text, sizeof(text), "%.1fs", seconds);
  } else {
    std::snprintf(text, sizeof(text), "%lld:%02lld:%02lld", whole / 3600,
                  whole / 60 % 60, whole % 60);
  }
  return text;
}

void PrintCounts(const StatusSummary& s) {
  std::cout << s.total << " tasks:";
  for (size_t i = 0; i < kTaskStateCount; ++i) {
    if (s.counts[i] == 0) continue;
    std::cout << " " << s.counts[i] << " "
              << StateName(static_cast<TaskState>(i));
  }
  std::cout << "\n" << s.ended << " ended in " << Duration(s.elapsed);
  // Across a resume, the rate is over the allocations' time alone.
  if (s.allocations > 1) {
    std::cout << " (" << s.allocations << " allocations, "
              << Duration(s.allocated) << " allocated)";
  }
  std::cout << ", " << Number(s.tasks_per_second, "%.3g") << " tasks/s\n";
}

void PrintRunning(const StatusSummary& s) {
  if (s.running.empty()) return;
  std::cout << "\nrunning (longest first):\n";
  for (size_t i = 0; i < s.running.size() && i < kMaxRunningShown; ++i) {
    const RunningTask& t = s.running[i];
    std::cout << "  " << t.id << "  " << Duration(t.elapsed) << "  rank "
              << t.rank << " on " << t.host << "\n";
  }
  if (s.running.size() > kMaxRunningShown) {
    std::cout << "  ... and " << s.running.size() - kMaxRunningShown
              << " more\n";
  }
}

void PrintFailures(const StatusSummary& s) {
  if (s.failures.empty()) return;
  std::cout << "\nrecent failures (" << s.failures.size() << " of "
            << s.failures_total << "):\n";
  for (const FailedTask& f : s.failures) {
    std::cout << "  " << f.id << "  " << StateName(f.state);
    if (f.signal != 0)
      std::cout << " signal " << f.signal;
    else
      std::cout << " exit " << f.exit_code;
    if (!f.reason.empty()) std::cout << "  " << f.reason;
    std::cout << "\n";
    if (!f.stderr_last_line.empty()) {
      std::cout << "      stderr: " << f.stderr_last_line << "\n";
    }
  }
}

void PrintText(const std::string& path, const StatusSummary& s,
               double journal_age) {
  std::cout << path << ": "
            << (s.finished ? "finished" : "running (or stopped early)");
  if (s.finished && s.exit_status >= 0) {
    std::cout << " with exit status " << s.exit_status;
  }
  std::cout << ", from " << (s.source == "journal" ? "its journal" : "RUN.h5");
  if (s.source == "journal" && std::isfinite(journal_age)) {
    std::cout << " (last written " << Duration(journal_age) << " ago)";
  }
  std::cout << "\n";
  if (std::isnan(s.started_at)) {
    std::cout << "starting: the run has not recorded its start yet\n";
    return;
  }
  PrintCounts(s);
  PrintRunning(s);
  PrintFailures(s);
}

}  // namespace

int StatusCommand(const std::string& given, bool json) {
  const std::string path = RunPathFor(given);
  const std::string journal = JournalPathFor(path);
  if (!fs::exists(path) && !fs::exists(journal)) {
    std::cerr << "sortie: " << path << ": no such file (and no journal "
              << journal << ")\n";
    return kNotARun;
  }
  RunData run;
  try {
    run = LoadRun(path);
  } catch (const std::exception& error) {
    std::cerr << "sortie: " << path << " is not a sortie run: " << error.what()
              << "\n";
    return kNotARun;
  }
  const double now = Now();
  const StatusSummary summary = Summarise(run, now, kMaxFailures);
  const double age = run.source == "journal" ? SecondsSinceWritten(journal, now)
                                             : std::nan("");
  if (json) {
    PrintJson(path, summary, age);
  } else {
    PrintText(path, summary, age);
  }
  return 0;
}

}  // namespace sortie
