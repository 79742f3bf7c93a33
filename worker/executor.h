// Runs assigned tasks on a ProcessLauncher and turns process exits into
// TaskResults. Used by worker ranks, and by rank 0 when it runs tasks itself.
#pragma once

#include <sys/types.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/protocol.h"
#include "worker/process_launcher.h"

namespace sortie {

/// Starts assignments, tracks them, and reports starts and ends in batches.
class Executor {
 public:
  /// `base_env` is the scrubbed environment every task starts from; `rank`
  /// goes into SORTIE_RANK. Launcher and clock must outlive the executor.
  Executor(ProcessLauncher& launcher, Clock& clock,
           std::vector<std::string> base_env, int rank);

  /// Starts one attempt now. A task that cannot start becomes a finished
  /// result at once (its reason written to its stderr file), never an error.
  void Start(const Assignment& assignment);
  /// Reaps ended processes; returns true when any start or end is waiting
  /// to be taken.
  bool Poll();
  /// Attempts started since the last call.
  std::vector<StartNotice> TakeStarted();
  /// Attempts ended since the last call.
  std::vector<TaskResult> TakeFinished();
  /// Waits up to `seconds` for a running task to end.
  void Wait(double seconds) { launcher_.WaitForExit(seconds); }
  /// Number of tasks running now.
  size_t Running() const { return running_.size(); }

 private:
  void RecordLaunchFailure(const Assignment& assignment,
                           const LaunchOutcome& outcome, double now);

  ProcessLauncher& launcher_;
  Clock& clock_;
  std::vector<std::string> base_env_;
  int rank_;
  std::unordered_map<pid_t, TaskResult> running_;
  std::vector<StartNotice> started_;
  std::vector<TaskResult> finished_;
};

}  // namespace sortie
