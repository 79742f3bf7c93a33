// Starting one child process with vfork + exec, doing the task's isolation
// (process group, signals, descriptors, output files) in the child itself.
// It is what glibc's posix_spawn does, without the attribute objects and the
// fresh stack glibc maps for every child, and a child that fails reports
// which step failed. It saves the pilot about 13 µs of CPU per task
// (bench/RESULTS.md).
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <cstddef>
#include <variant>

namespace sortie {

/// Everything the child does, prepared by the parent: between vfork and exec
/// the child shares the parent's memory and must not allocate, so every
/// string and array is ready before the call and outlives it.
struct SpawnPlan {
  const char* file = nullptr;   ///< searched in PATH without '/'
  char* const* argv = nullptr;  ///< null-terminated
  char* const* envp = nullptr;  ///< null-terminated, the whole environment
  const char* stdout_path = nullptr;  ///< null: inherit the parent's
  const char* stderr_path = nullptr;  ///< null: inherit the parent's
  bool stderr_to_stdout = false;      ///< stderr shares stdout's file
  const char* cwd = nullptr;          ///< null: the parent's
  /// null: the parent thread's mask. The parent thread holds this mask over
  /// the vfork, so the child starts on its CPUs.
  const cpu_set_t* cpus = nullptr;
  /// null: close everything above stderr with close_range. Otherwise the
  /// descriptors to close, for kernels without close_range (before 5.9).
  const int* close_fds = nullptr;
  size_t close_fd_count = 0;
};

/// The step at which a child failed to start.
enum class SpawnStep {
  kFork,    ///< vfork itself (no child)
  kSetup,   ///< process group, signal mask or descriptors
  kStdin,   ///< opening /dev/null
  kStdout,  ///< opening stdout_path
  kStderr,  ///< opening stderr_path (or sharing stdout)
  kCwd,     ///< entering cwd
  kExec,    ///< exec of the program
};

/// Why a child did not start: the step that failed and its errno.
struct SpawnFailure {
  SpawnStep step;
  int error;
};

/// What SpawnProcess did: the running program's pid, or why it did not start.
using SpawnResult = std::variant<pid_t, SpawnFailure>;

/// Starts `plan` in a child that leads a new process group, has every signal
/// at its default action and none blocked, stdin from /dev/null, stdout and
/// stderr opened (created, truncated) as planned, no other descriptor, and,
/// when planned, is bound to `cpus` (a binding the kernel refuses is left
/// out: the task runs on the pilot's CPUs). The child gets SIGKILL when the
/// calling thread ends (PR_SET_PDEATHSIG), so call this only from a thread
/// that lives as long as the process (sortie: the main thread). Returns once
/// the program is executing or the child has failed and been reaped.
SpawnResult SpawnProcess(const SpawnPlan& plan);

/// Whether the running kernel has close_range (Linux 5.9); when not, the
/// caller lists the open descriptors in SpawnPlan::close_fds.
bool HaveCloseRange();

}  // namespace sortie
