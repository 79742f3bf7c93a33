// Runs assigned tasks and turns their ends into TaskResults. Used by worker
// ranks, and by rank 0 for the tasks it runs on its own node.
#pragma once

#include <sys/types.h>

#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "common/protocol.h"
#include "common/task_results.h"
#include "worker/function_runner.h"
#include "worker/mpi_launcher.h"
#include "worker/process_launcher.h"

namespace sortie {

/// What every task run by one executor shares.
struct ExecutorContext {
  int rank = 0;
  /// The scrubbed environment every task starts from.
  std::vector<std::string> base_env;
  /// Starts multi-node and multi-rank command tasks.
  MpiLauncher mpi_launcher = MpiLauncher::FromSpec("hydra");
  /// Runs function tasks; null: function tasks fail (rank 0).
  FunctionRunner* functions = nullptr;
  /// Directory for hostfiles (created on first use).
  std::string scratch_dir = "/tmp";
  /// When set, called once, at the end of the Start() or Poll() in which
  /// this executor made scratch_dir: the run clears what killed ranks left
  /// beside it (worker/scratch_dir.h).
  std::function<void()> after_making_scratch_dir;
  /// Seconds between SIGTERM and SIGKILL when sortie stops a task (timeout
  /// or drain).
  double kill_grace = 3.0;
};

/// Starts assignments, tracks them, and reports starts and ends in batches.
class Executor {
 public:
  /// Launcher and clock must outlive the executor.
  Executor(ProcessLauncher& launcher, Clock& clock, ExecutorContext context);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  /// Starts one attempt now, or queues it when it follows a task still
  /// running or queued here (then it starts when that one ends). A task
  /// that cannot start becomes a finished result at once, never an error:
  /// the launch error is its result's `reason` and is written to its stderr
  /// file too. A function task runs to completion before Start returns, and
  /// so do up to 128 of its queued followers; Poll starts the rest, 128 at a
  /// time.
  void Start(const Assignment& assignment);
  /// Reaps ended processes; returns true when any start or end is waiting
  /// to be taken.
  bool Poll();
  /// Attempts started since the last call.
  std::vector<StartNotice> TakeStarted();
  /// Attempts ended since the last call.
  std::vector<TaskResult> TakeFinished();
  /// Waits up to `seconds` for a running task to end, less when a timeout
  /// or kill is due sooner.
  void Wait(double seconds);
  /// Number of task processes running now.
  size_t Running() const { return running_.size(); }
  /// Number of tasks queued behind another one.
  size_t Queued() const { return followers_.size(); }
  /// Stops every running task: SIGTERM to its process group now, SIGKILL
  /// after the grace; they end INTERRUPTED. Tasks assigned from now on end
  /// INTERRUPTED at once, without starting.
  void Interrupt();

 private:
  struct RunningTask {
    TaskResult result;
    std::string nodefile;  ///< removed when the task ends; empty: shared
    std::string stdout_path, stderr_path;
    /// What the results are read from when it ends (paths and patterns).
    TaskExtras results_source;
    double deadline;  ///< monotonic time of the timeout; +inf: none
    double kill_at;   ///< monotonic time of the SIGKILL; +inf: not yet
  };
  void StartNow(const Assignment& assignment);
  void StartUnblocked();
  void SweepIfDue();
  void Ended(uint32_t row);
  void EnforceDeadlines();
  void Stop(pid_t pid, RunningTask* task, EndCause cause, double now);
  void Reap();
  LaunchRequest BuildRequest(const Assignment& assignment,
                             const std::string& nodefile) const;
  std::string WriteNodefile(const Assignment& assignment);
  void RunFunction(const Assignment& assignment, double now);
  void Finish(const Assignment& assignment, double start, int exit_code,
              EndCause cause, std::string_view reason = {});
  std::vector<ResultValue> CollectResults(const RunningTask& task);

  ProcessLauncher& launcher_;
  Clock& clock_;
  ExecutorContext context_;
  std::unordered_map<pid_t, RunningTask> running_;
  std::unordered_map<std::string, std::string> shared_nodefiles_;
  /// WriteNodefile made context_.scratch_dir: removed with the executor.
  bool made_scratch_dir_ = false;
  /// context_.after_making_scratch_dir is to be called.
  bool sweep_due_ = false;
  /// Rows started or queued here and not ended yet.
  std::unordered_set<uint32_t> active_rows_;
  /// Queued tasks by the row they follow.
  std::unordered_map<uint32_t, Assignment> followers_;
  /// Followers whose predecessor ended, to start in this order.
  std::deque<Assignment> unblocked_;
  std::vector<StartNotice> started_;
  std::vector<TaskResult> finished_;
  ResultCollector results_;
  bool draining_ = false;
};

}  // namespace sortie
