#include "master/simulate_command.h"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "common/json_escape.h"
#include "master/manifest_util.h"
#include "master/simulate.h"
#include "master/validate_command.h"

namespace sortie {
namespace {

constexpr int kInputError = 2;

// Wall time of the command's own steps, reported so the cost at scale is
// visible without an external timer.
struct Timings {
  double read_seconds = 0;
  double simulate_seconds = 0;
};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

std::string Format(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

// Which of the lower bound's terms is the binding one.
std::string BoundBy(const SimulateResult& r, const SimMachine& m) {
  if (r.lower_bound == 0) return "none";
  if (r.lower_bound == r.node_seconds / m.nodes) return "node-seconds";
  if (r.lower_bound == r.gpu_node_seconds / m.nodes) return "gpu-node-seconds";
  return r.critical_path == r.longest_task ? "longest-task" : "longest-chain";
}

double PerDecision(const SimulateResult& r) {
  return r.attempts > 0 ? r.scheduler_seconds / static_cast<double>(r.attempts)
                        : 0;
}

std::string Count(int64_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

void PrintText(const std::string& path, const SimMachine& m,
               const SimulateResult& r, const Timings& t) {
  std::cout << path << " on " << Count(m.nodes, "node") << " of "
            << Count(m.cores_per_node, "core") << " and "
            << Count(m.gpus_per_node, "GPU") << "\n"
            << "  tasks            " << r.tasks << ": " << r.done << " DONE, "
            << r.timed_out << " TIMEOUT, " << r.skipped << " SKIPPED ("
            << r.attempts << " attempts)\n"
            << "  makespan         " << Format("%.1f", r.makespan) << " s ("
            << ClockText(r.makespan) << ")\n"
            << "  node-seconds     " << Format("%.1f", r.node_seconds)
            << " (utilization " << Format("%.1f", 100 * r.utilization) << "%)\n"
            << "  lower bound      " << Format("%.1f", r.lower_bound) << " s ("
            << ClockText(r.lower_bound) << "), set by " << BoundBy(r, m)
            << "; longest task " << Format("%.1f", r.longest_task) << " s\n"
            << "  makespan / bound "
            << (r.lower_bound > 0 ? Format("%.4f", r.ratio) : "n/a") << "\n"
            << "  scheduler        " << Format("%.2f", 1e6 * PerDecision(r))
            << " us per decision (" << r.attempts << " placements, "
            << r.place_calls << " Place calls, "
            << Format("%.3f", r.scheduler_seconds) << " s)\n"
            << "  wall time        manifest read in "
            << Format("%.3f", t.read_seconds) << " s, simulated in "
            << Format("%.3f", t.simulate_seconds) << " s\n";
}

void Field(const char* key, double value, std::string* out) {
  *out += ", \"";
  *out += key;
  *out += "\": " + Format("%.12g", value);
}

void PrintJson(const std::string& path, const SimMachine& m,
               const SimulateResult& r, const Timings& t) {
  std::string out = "{\"manifest\": ";
  AppendJsonString(path, &out);
  Field("nodes", m.nodes, &out);
  Field("cores_per_node", m.cores_per_node, &out);
  Field("gpus_per_node", m.gpus_per_node, &out);
  Field("tasks", static_cast<double>(r.tasks), &out);
  Field("done", static_cast<double>(r.done), &out);
  Field("timed_out", static_cast<double>(r.timed_out), &out);
  Field("skipped", static_cast<double>(r.skipped), &out);
  Field("attempts", static_cast<double>(r.attempts), &out);
  Field("makespan", r.makespan, &out);
  Field("node_seconds", r.node_seconds, &out);
  Field("gpu_node_seconds", r.gpu_node_seconds, &out);
  Field("utilization", r.utilization, &out);
  Field("lower_bound", r.lower_bound, &out);
  out += ", \"bound_by\": \"" + BoundBy(r, m) + "\"";
  Field("longest_task", r.longest_task, &out);
  Field("critical_path", r.critical_path, &out);
  Field("ratio", r.ratio, &out);
  Field("place_calls", static_cast<double>(r.place_calls), &out);
  Field("scheduler_seconds", r.scheduler_seconds, &out);
  Field("seconds_per_decision", PerDecision(r), &out);
  Field("read_seconds", t.read_seconds, &out);
  Field("simulate_seconds", t.simulate_seconds, &out);
  std::cout << out << "}\n";
}

// The options' machine, with the sizes left out taken from the manifest.
SimMachine MachineFor(const SimulateCommandOptions& options,
                      const std::vector<TaskSpec>& specs) {
  SimMachine machine = WidestNode(specs, options.nodes);
  if (options.cores_per_node > 0) {
    machine.cores_per_node = options.cores_per_node;
  }
  if (options.gpus_per_node >= 0) machine.gpus_per_node = options.gpus_per_node;
  return machine;
}

}  // namespace

// In doubles throughout: a cast of a huge makespan to an integer would
// overflow (it printed negative hours), and fmod is exact.
std::string ClockText(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "n/a";
  const double total = std::round(seconds);
  const double within_hour = std::fmod(total, 3600.0);
  char buffer[400];  // room for every digit of the largest double
  std::snprintf(buffer, sizeof buffer, "%.0f:%02d:%02d",
                (total - within_hour) / 3600,
                static_cast<int>(within_hour / 60),
                static_cast<int>(std::fmod(within_hour, 60.0)));
  return buffer;
}

int SimulateCommand(const SimulateCommandOptions& options) {
  if (options.default_runtime > manifest_internal::kMaxEstRuntime) {
    std::cerr << "sortie: --default-runtime must be at most 1000000000 "
                 "seconds, like est_runtime\n";
    return kInputError;
  }
  Timings timings;
  auto start = std::chrono::steady_clock::now();
  Manifest manifest;
  std::vector<ManifestError> errors;
  if (!LoadManifest(options.manifest, options.format, &manifest, &errors)) {
    ReportManifestErrors(options.manifest, errors, "");
    return kInputError;
  }
  timings.read_seconds = SecondsSince(start);
  SimulateOptions simulate{MachineFor(options, manifest.tasks),
                           options.default_runtime};
  errors = CheckSimulatable(manifest, simulate);
  if (!errors.empty()) {
    ReportManifestErrors(options.manifest, errors, "; nothing was simulated");
    return kInputError;
  }
  start = std::chrono::steady_clock::now();
  SimulateResult result = Simulate(manifest.tasks, simulate);
  timings.simulate_seconds = SecondsSince(start);
  if (options.json) {
    PrintJson(options.manifest, simulate.machine, result, timings);
  } else {
    PrintText(options.manifest, simulate.machine, result, timings);
  }
  return 0;
}

}  // namespace sortie
