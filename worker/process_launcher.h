// Starting and watching task processes. The interface lets the executor be
// tested with a fake; PosixLauncher is the real one (vfork + exec through
// worker/spawn.h, never system()).
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <unordered_set>
#include <vector>

namespace sortie {

/// One process to start.
struct LaunchRequest {
  std::vector<std::string> argv;  ///< argv[0] is searched in PATH without '/'
  std::vector<std::string> envp;  ///< the whole environment, "NAME=value"
  std::string cwd;                ///< empty: the pilot's own
  std::string stdout_path;        ///< empty: inherit the pilot's
  std::string stderr_path;        ///< empty: inherit; same path: shared
  std::vector<int32_t> cpus;      ///< logical CPUs to bind to; empty: none
};

/// The result of trying to start a process.
struct LaunchOutcome {
  pid_t pid = -1;  ///< > 0 when the process started
  /// When it did not start: the exit code to record (127 not found, 126 not
  /// executable, -1 otherwise, as a shell would report) and why.
  int exit_code = -1;
  std::string error;
};

/// A child process that ended.
struct ProcessExit {
  pid_t pid = -1;
  int exit_code = -1;  ///< -1 when killed by a signal
  int signal = 0;      ///< 0 when it exited
};

/// Starts task processes and reports when they end.
class ProcessLauncher {
 public:
  virtual ~ProcessLauncher() = default;
  /// Starts `request` in a new process group, stdin from /dev/null,
  /// stdout/stderr to its files (created with their directories; truncated),
  /// bound to its CPUs, and killed (SIGKILL) if the pilot dies first. Never
  /// throws for a bad task: a task that cannot start is an outcome with
  /// pid -1.
  virtual LaunchOutcome Launch(const LaunchRequest& request) = 0;
  /// Children that ended since the last call; never blocks.
  virtual std::vector<ProcessExit> Reap() = 0;
  /// Waits up to `seconds` for a child to end (returns early when one may
  /// have); returns at once when none is running.
  virtual void WaitForExit(double seconds) = 0;
  /// Number of started children not yet reaped.
  virtual size_t Running() const = 0;
  /// Sends `signal` to the whole process group led by `pid` (a task and
  /// everything it started that stayed in its group); quiet when it is gone.
  virtual void SignalGroup(pid_t pid, int signal) = 0;
};

/// Blocks SIGCHLD in the calling thread, and so in every thread it starts
/// afterwards: call it first in main, before any library starts threads.
/// Launchers built after it wait in sigtimedwait, and no other thread is
/// woken by each task's exit.
void BlockChildSignals();

/// The real launcher: vfork + exec (SpawnProcess). Waiting wakes the moment a
/// child exits, without spinning: in sigtimedwait for SIGCHLD when the
/// constructing thread blocks that signal (as `sortie run` does in every
/// thread), else in a poll() of one pidfd per child.
class PosixLauncher : public ProcessLauncher {
 public:
  PosixLauncher();
  ~PosixLauncher() override;
  PosixLauncher(const PosixLauncher&) = delete;
  PosixLauncher& operator=(const PosixLauncher&) = delete;

  LaunchOutcome Launch(const LaunchRequest& request) override;
  std::vector<ProcessExit> Reap() override;
  void WaitForExit(double seconds) override;
  size_t Running() const override { return children_.size(); }
  void SignalGroup(pid_t pid, int signal) override;

 private:
  std::string PrepareDirectories(const LaunchRequest& request);

  /// pid -> pidfd (-1 when waiting for SIGCHLD, or without pidfd_open).
  std::map<pid_t, int> children_;
  /// SIGCHLD is blocked, so an exit leaves it pending for sigtimedwait.
  bool wait_for_signal_ = false;
  /// Output directories known to exist: created once, not stat'ed per task.
  std::unordered_set<std::string> made_dirs_;
};

}  // namespace sortie
