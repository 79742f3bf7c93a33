// `sortie run`: the whole pilot, on every rank of the mpiexec.
#pragma once

#include <string>

#include "master/manifest.h"
#include "worker/node_discovery.h"

namespace sortie {

/// Exit status for internal errors (MPI, HDF5, file system): the job is
/// aborted. 0, 1 and 2 are the run's own outcomes.
inline constexpr int kInternalErrorStatus = 3;

/// Options of `sortie run`, as given on the command line.
struct RunOptions {
  std::string manifest;
  std::string out = "run.h5";
  ManifestFormat format = ManifestFormat::kAuto;
  /// Seconds between run.h5 snapshots (<= 0: only at the end).
  double snapshot_interval = 30.0;
  /// Seconds between progress lines on stderr (0: none).
  double progress_interval = 10.0;
  /// Directory for default per-task stdout/stderr files; empty: beside out.
  std::string logs_dir;
  /// What each rank offers (detected unless overridden).
  NodeOverrides node;
  /// Rank 0 only coordinates; it runs no task itself.
  bool master_only = false;
  /// MPI launcher preset or template; empty: detected from the environment.
  std::string launcher;
  /// Continue the run recorded in OUT's journal (a fresh run when none).
  bool resume = false;
  /// With resume: run FAILED, TIMEOUT and SKIPPED tasks again too.
  bool retry_failed = false;
  /// With resume: run tasks whose spec changed since they ran again.
  bool force = false;
  /// Replace an existing OUT and journal with a new run.
  bool overwrite = false;
  /// Seconds between SIGTERM and SIGKILL when sortie stops a task.
  double grace = 3.0;
  /// The allocation's length ("HH:MM:SS"); empty: ask the batch system.
  std::string walltime;
  /// Seconds before the walltime at which the run drains.
  double walltime_margin = 60.0;
};

/// Runs the pilot: initializes MPI, then rank 0 runs the manifest as master
/// and the other ranks serve as workers. Returns the process exit status
/// (0 all DONE, 1 some not, 2 bad input or usage).
int RunCommand(const RunOptions& options, int* argc, char*** argv);

/// Default directory of per-task output for run file `out`: "DIR/STEM.logs"
/// for "DIR/STEM.h5".
std::string DefaultLogsDir(const std::string& out);

}  // namespace sortie
