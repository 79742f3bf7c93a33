// `sortie simulate`: read a manifest, run it through the real scheduler on a
// virtual clock (master/simulate.h) and print what it would take. No MPI.
#pragma once

#include <cstdint>
#include <string>

#include "common/task.h"
#include "master/manifest.h"

namespace sortie {

/// The command line of `sortie simulate`.
struct SimulateCommandOptions {
  std::string manifest;
  ManifestFormat format = ManifestFormat::kAuto;
  int32_t nodes = 1;
  int32_t cores_per_node = 0;  ///< 0: the most any task asks for on a node
  int32_t gpus_per_node = -1;  ///< < 0: the most any task asks for on a node
  double default_runtime = kNoTime;  ///< for tasks without est_runtime
  bool json = false;                 ///< one JSON object instead of prose
};

/// `seconds` as H:MM:SS rounded to the second, hours not wrapped into days
/// ("37:02:05"), however large; "n/a" when not a finite number >= 0.
std::string ClockText(double seconds);

/// Prints the simulated makespan, utilization and lower bound of the
/// manifest on stdout and returns 0; or prints FILE:LINE: problem for every
/// bad line, every task that cannot fit the simulated nodes and every task
/// without a runtime, to stderr, and returns 2.
int SimulateCommand(const SimulateCommandOptions& options);

}  // namespace sortie
