#include "worker/process_launcher.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "common/errno_text.h"
#include "worker/spawn.h"

namespace sortie {
namespace {

int PidfdOpen(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

/// What a child is bound to: `cpus` as a mask, or null for no binding.
const cpu_set_t* CpuMask(const std::vector<int32_t>& cpus, cpu_set_t* mask) {
  if (cpus.empty()) return nullptr;
  CPU_ZERO(mask);
  for (int32_t cpu : cpus) {
    if (cpu >= 0 && cpu < CPU_SETSIZE) CPU_SET(static_cast<size_t>(cpu), mask);
  }
  return mask;
}

/// The descriptors open now, for a kernel without close_range.
std::vector<int> OpenDescriptors() {
  std::vector<int> fds;
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    fds.push_back(std::atoi(entry.path().filename().c_str()));
  }
  return fds;
}

const char* OrNull(const std::string& s) {
  return s.empty() ? nullptr : s.c_str();
}

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (const std::string& s : strings)
    pointers.push_back(const_cast<char*>(s.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

/// "cannot run", with the shell's exit codes: 127 not found, 126 not runnable.
LaunchOutcome ProgramFailure(int error_number, const std::string& program) {
  LaunchOutcome outcome;
  outcome.error = "cannot run " + program + ": " + ErrnoText(error_number);
  if (error_number == ENOENT) outcome.exit_code = 127;
  if (error_number == EACCES || error_number == ENOEXEC)
    outcome.exit_code = 126;
  return outcome;
}

/// Names what kept `request` from starting, from the step that failed.
LaunchOutcome StartFailure(const LaunchRequest& request,
                           const SpawnFailure& failure) {
  const std::string reason = ErrnoText(failure.error);
  LaunchOutcome outcome;
  switch (failure.step) {
    case SpawnStep::kFork:
    case SpawnStep::kExec:
      return ProgramFailure(failure.error, request.argv[0]);
    case SpawnStep::kSetup:
      outcome.error = "cannot start " + request.argv[0] + ": " + reason;
      break;
    case SpawnStep::kStdin:
      outcome.error = "cannot open /dev/null: " + reason;
      break;
    case SpawnStep::kStdout:
      outcome.error = "cannot open " + request.stdout_path + ": " + reason;
      break;
    case SpawnStep::kStderr:
      outcome.error = "cannot open " + request.stderr_path + ": " + reason;
      break;
    case SpawnStep::kCwd:
      outcome.error =
          failure.error == ENOENT || failure.error == ENOTDIR
              ? "working directory " + request.cwd + " does not exist"
              : "cannot enter working directory " + request.cwd + ": " + reason;
      break;
  }
  return outcome;
}

sigset_t ChildSignal() {
  sigset_t child;
  sigemptyset(&child);
  sigaddset(&child, SIGCHLD);
  return child;
}

}  // namespace

void BlockChildSignals() {
  const sigset_t child = ChildSignal();
  pthread_sigmask(SIG_BLOCK, &child, nullptr);
}

// Only when the signal is blocked does a child's exit leave it pending to be
// waited for: unblocked with the default action, the kernel drops it.
PosixLauncher::PosixLauncher() {
  sigset_t blocked;
  wait_for_signal_ = pthread_sigmask(SIG_BLOCK, nullptr, &blocked) == 0 &&
                     sigismember(&blocked, SIGCHLD) == 1;
}

PosixLauncher::~PosixLauncher() {
  for (auto& [pid, pidfd] : children_) {
    if (pidfd >= 0) close(pidfd);
  }
}

// Output directories are created only the first time they are seen; the
// rest of a task's set-up happens in the child (worker/spawn.h).
LaunchOutcome PosixLauncher::Launch(const LaunchRequest& request) {
  LaunchOutcome outcome;
  if (request.argv.empty()) outcome.error = "empty command";
  if (outcome.error.empty()) outcome.error = PrepareDirectories(request);
  if (!outcome.error.empty()) return outcome;

  std::vector<char*> c_argv = CStrings(request.argv);
  std::vector<char*> c_envp = CStrings(request.envp);
  cpu_set_t mask;
  const std::vector<int> open_fds =
      HaveCloseRange() ? std::vector<int>() : OpenDescriptors();
  SpawnPlan plan;
  plan.file = c_argv[0];
  plan.argv = c_argv.data();
  plan.envp = c_envp.data();
  plan.stdout_path = OrNull(request.stdout_path);
  plan.stderr_to_stdout = !request.stderr_path.empty() &&
                          request.stderr_path == request.stdout_path;
  plan.stderr_path = OrNull(request.stderr_path);
  plan.cwd = OrNull(request.cwd);
  plan.cpus = CpuMask(request.cpus, &mask);
  plan.close_fds = open_fds.empty() ? nullptr : open_fds.data();
  plan.close_fd_count = open_fds.size();

  const SpawnResult result = SpawnProcess(plan);
  if (const auto* failure = std::get_if<SpawnFailure>(&result))
    return StartFailure(request, *failure);
  const pid_t pid = std::get<pid_t>(result);
  children_[pid] = wait_for_signal_ ? -1 : PidfdOpen(pid);
  outcome.pid = pid;
  return outcome;
}

std::string PosixLauncher::PrepareDirectories(const LaunchRequest& request) {
  for (const std::string* path : {&request.stdout_path, &request.stderr_path}) {
    if (path->empty()) continue;
    std::string dir = std::filesystem::path(*path).parent_path().string();
    if (dir.empty() || made_dirs_.count(dir) > 0) continue;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return "cannot create directory " + dir + ": " + ec.message();
    made_dirs_.insert(std::move(dir));
  }
  return {};
}

std::vector<ProcessExit> PosixLauncher::Reap() {
  std::vector<ProcessExit> ended;
  for (auto it = children_.begin(); it != children_.end();) {
    int status = 0;
    pid_t pid = waitpid(it->first, &status, WNOHANG);
    if (pid == 0 || (pid < 0 && errno == EINTR)) {
      ++it;
      continue;
    }
    ProcessExit exit;
    exit.pid = it->first;
    if (pid > 0 && WIFEXITED(status)) exit.exit_code = WEXITSTATUS(status);
    if (pid > 0 && WIFSIGNALED(status)) exit.signal = WTERMSIG(status);
    if (it->second >= 0) close(it->second);
    it = children_.erase(it);
    ended.push_back(exit);
  }
  return ended;
}

void PosixLauncher::SignalGroup(pid_t pid, int signal) {
  if (pid > 0) kill(-pid, signal);  // ESRCH: the group is already gone
}

void PosixLauncher::WaitForExit(double seconds) {
  if (children_.empty() || !(seconds > 0)) return;
  timespec timeout{static_cast<time_t>(seconds),
                   static_cast<long>(std::fmod(seconds, 1.0) * 1e9)};
  if (wait_for_signal_) {
    // Cheaper than a pidfd per child (a spawn loop of /bin/true took 0.975x
    // the time). A SIGCHLD left from a child already reaped only makes one
    // wait return early.
    const sigset_t child = ChildSignal();
    sigtimedwait(&child, nullptr, &timeout);
    return;
  }
  std::vector<pollfd> fds;
  fds.reserve(children_.size());
  for (const auto& [pid, pidfd] : children_) {
    if (pidfd < 0) {
      // No pidfd: fall back to a short sleep; the caller polls again.
      usleep(static_cast<useconds_t>(std::fmin(seconds, 0.001) * 1e6));
      return;
    }
    fds.push_back(pollfd{pidfd, POLLIN, 0});
  }
  ppoll(fds.data(), fds.size(), &timeout, nullptr);
}

}  // namespace sortie
