#include "worker/spawn.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace sortie {
namespace {

/// Where the child reports a failure: vfork shares the parent's memory, and
/// the parent reads it once the child has exec'd or exited.
struct ChildReport {
  SpawnStep step;  ///< the step in progress
  bool failed;
  int error;
};

constexpr int kOutputFlags = O_WRONLY | O_CREAT | O_TRUNC;

// Makes `fd` refer to `path`. Closing first lets open() take `fd` itself
// (the lowest free number), saving a dup2 and a close per stream.
bool OpenAs(int fd, const char* path, int flags) {
  close(fd);  // EBADF: the parent had it closed, which is fine
  const int got = open(path, flags, 0644);
  if (got < 0) return false;
  if (got == fd) return true;
  const bool moved = dup2(got, fd) == fd;
  close(got);
  return moved;
}

// exec keeps ignored signals ignored, and a handler of the pilot must not
// run in the child before exec: every signal goes back to its default.
// sigaction refuses SIGKILL, SIGSTOP and the C library's own signals, which
// need nothing.
void ResetSignalActions() {
  struct sigaction fallback {};
  fallback.sa_handler = SIG_DFL;
  sigemptyset(&fallback.sa_mask);
  for (int signal = 1; signal < NSIG; ++signal) {
    (void)sigaction(signal, &fallback, nullptr);
  }
}

bool CloseInherited(const SpawnPlan& plan) {
#ifdef SYS_close_range
  if (plan.close_fds == nullptr) {
    return syscall(SYS_close_range, 3U, ~0U, 0U) == 0;
  }
#endif
  for (size_t i = 0; i < plan.close_fd_count; ++i) {
    if (plan.close_fds[i] > 2) close(plan.close_fds[i]);  // EBADF is fine
  }
  return true;
}

bool OpenStandardStreams(const SpawnPlan& plan, volatile ChildReport* report) {
  report->step = SpawnStep::kStdin;
  if (!OpenAs(0, "/dev/null", O_RDONLY)) return false;
  report->step = SpawnStep::kStdout;
  if (plan.stdout_path != nullptr &&
      !OpenAs(1, plan.stdout_path, kOutputFlags)) {
    return false;
  }
  report->step = SpawnStep::kStderr;
  if (plan.stderr_to_stdout) return dup2(1, 2) == 2;
  return plan.stderr_path == nullptr ||
         OpenAs(2, plan.stderr_path, kOutputFlags);
}

// A task must not outlive its pilot: when a rank dies (a node failure, a
// crashed function, kill -9), its tasks would run on with parent 1, beside
// the copies a --resume starts. The kernel sends SIGKILL when the *thread*
// that forked the child ends, so tasks are only ever spawned from the
// thread that runs main (the worker and master loops), which ends with the
// process. A parent that died before the prctl left the child with another
// parent already: then it gives up at once.
bool DieWithParent(pid_t parent) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return false;
  if (getppid() != parent) _exit(127);
  return true;
}

// Runs in the vfork child, on the parent's stack: only system calls, no
// allocation, and it never returns.
[[noreturn]] void RunChild(const SpawnPlan& plan, pid_t parent,
                           volatile ChildReport* report) {
  report->step = SpawnStep::kSetup;
  bool ok = DieWithParent(parent) && setpgid(0, 0) == 0;
  if (ok) {
    ResetSignalActions();
    ok = CloseInherited(plan);
  }
  if (ok) ok = OpenStandardStreams(plan, report);
  if (ok && plan.cwd != nullptr) {
    report->step = SpawnStep::kCwd;
    ok = chdir(plan.cwd) == 0;
  }
  if (ok) {
    report->step = SpawnStep::kSetup;
    sigset_t none;
    sigemptyset(&none);
    ok = sigprocmask(SIG_SETMASK, &none, nullptr) == 0;
  }
  if (ok) {
    report->step = SpawnStep::kExec;
    execvpe(plan.file, plan.argv, plan.envp);
  }
  report->error = errno;
  report->failed = true;
  _exit(127);
}

void ReapFailedChild(pid_t pid) {
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

/// The calling thread's CPU mask when the pilot started: what a spawn
/// restores after binding a child. Read once; nothing else changes it.
const cpu_set_t* PilotMask() {
  static const cpu_set_t* mask = [] {
    static cpu_set_t saved;
    return sched_getaffinity(0, sizeof(saved), &saved) == 0 ? &saved : nullptr;
  }();
  return mask;
}

/// Binds the calling thread to `cpus` for its lifetime (no-op when null), so
/// that a child it starts begins there. A child binding itself instead is
/// first placed by the kernel on whichever CPU is idle, then migrated: 4,000
/// migrations in a 10,000-task run, and slower than binding here.
class ScopedAffinity {
 public:
  explicit ScopedAffinity(const cpu_set_t* cpus) {
    if (cpus == nullptr || PilotMask() == nullptr) return;
    // A binding the kernel refuses (a CPU outside the job's cpuset) leaves
    // the task with the pilot's CPUs rather than failing it.
    active_ = sched_setaffinity(0, sizeof(cpu_set_t), cpus) == 0;
  }
  ~ScopedAffinity() {
    if (active_) sched_setaffinity(0, sizeof(cpu_set_t), PilotMask());
  }
  ScopedAffinity(const ScopedAffinity&) = delete;
  ScopedAffinity& operator=(const ScopedAffinity&) = delete;

 private:
  bool active_ = false;
};

}  // namespace

bool HaveCloseRange() {
#ifdef SYS_close_range
  // A range past every possible descriptor: succeeds, closing nothing, on
  // any kernel that has the call.
  static const bool have =
      syscall(SYS_close_range, ~0U - 1, ~0U, 0U) == 0 || errno != ENOSYS;
  return have;
#else
  return false;
#endif
}

SpawnResult SpawnProcess(const SpawnPlan& plan) {
  volatile ChildReport report{SpawnStep::kSetup, false, 0};
  // With every signal blocked no handler of the pilot can run in the child
  // before it has reset them all; the child unblocks just before exec.
  sigset_t all, saved;
  sigfillset(&all);
  const int mask_rc = pthread_sigmask(SIG_BLOCK, &all, &saved);
  if (mask_rc != 0) return SpawnFailure{SpawnStep::kFork, mask_rc};

  const pid_t parent = getpid();
  pid_t pid = -1;
  int fork_error = 0;
  {
    ScopedAffinity binding(plan.cpus);
    pid = vfork();
    if (pid == 0) RunChild(plan, parent, &report);
    fork_error = errno;
  }
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);

  if (pid < 0) return SpawnFailure{SpawnStep::kFork, fork_error};
  if (report.failed) {
    ReapFailedChild(pid);
    return SpawnFailure{report.step, report.error};
  }
  return pid;
}

}  // namespace sortie
