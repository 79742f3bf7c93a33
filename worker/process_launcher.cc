#include "worker/process_launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace sortie {
namespace {

/// Owns posix_spawn's attribute and file-action objects.
class SpawnSetup {
 public:
  SpawnSetup() {
    posix_spawnattr_init(&attr_);
    posix_spawn_file_actions_init(&actions_);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attr_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  posix_spawnattr_t* attr() { return &attr_; }
  posix_spawn_file_actions_t* actions() { return &actions_; }

 private:
  posix_spawnattr_t attr_;
  posix_spawn_file_actions_t actions_;
};

int PidfdOpen(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

// The child starts from a clean slate: default dispositions for every signal
// (the pilot may ignore some) and nothing blocked, in its own process group so
// the whole tree can be signalled.
int SetAttributes(posix_spawnattr_t* attr) {
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  int rc = posix_spawnattr_setsigdefault(attr, &all);
  if (rc == 0) rc = posix_spawnattr_setsigmask(attr, &none);
  if (rc == 0) rc = posix_spawnattr_setpgroup(attr, 0);
  if (rc == 0) {
    rc = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGDEF |
                                            POSIX_SPAWN_SETSIGMASK |
                                            POSIX_SPAWN_SETPGROUP);
  }
  return rc;
}

// The pilot holds descriptors a task must not inherit: MPI's sockets to the
// process manager, its pipes and epoll sets, the journal. Most lack
// FD_CLOEXEC (MPI libraries open them), and a task holding them can keep the
// launcher waiting or, for a nested mpiexec, confuse it.
#if defined(__GLIBC__) && defined(__GLIBC_PREREQ)
#if __GLIBC_PREREQ(2, 34)
#define SORTIE_HAVE_ADDCLOSEFROM 1
#endif
#endif
int AddCloseInherited(posix_spawn_file_actions_t* actions) {
#ifdef SORTIE_HAVE_ADDCLOSEFROM
  return posix_spawn_file_actions_addclosefrom_np(actions, 3);
#else
  // Older C libraries: close what is open now (glibc's child ignores EBADF,
  // e.g. for the directory stream's own descriptor, closed by then).
  std::error_code ec;
  int rc = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = std::atoi(entry.path().filename().c_str());
    if (fd > 2 && rc == 0) rc = posix_spawn_file_actions_addclose(actions, fd);
  }
  return rc;
#endif
}

std::string SetFileActions(const LaunchRequest& request,
                           posix_spawn_file_actions_t* actions) {
  constexpr int kOutFlags = O_WRONLY | O_CREAT | O_TRUNC;
  int rc = AddCloseInherited(actions);
  if (rc == 0) {
    rc = posix_spawn_file_actions_addopen(actions, 0, "/dev/null", O_RDONLY, 0);
  }
  if (rc == 0 && !request.stdout_path.empty()) {
    rc = posix_spawn_file_actions_addopen(
        actions, 1, request.stdout_path.c_str(), kOutFlags, 0644);
  }
  if (rc == 0 && !request.stderr_path.empty()) {
    rc = request.stderr_path == request.stdout_path
             ? posix_spawn_file_actions_adddup2(actions, 1, 2)
             : posix_spawn_file_actions_addopen(
                   actions, 2, request.stderr_path.c_str(), kOutFlags, 0644);
  }
  if (rc == 0 && !request.cwd.empty()) {
    rc = posix_spawn_file_actions_addchdir_np(actions, request.cwd.c_str());
  }
  return rc == 0 ? std::string()
                 : std::string("posix_spawn setup: ") + std::strerror(rc);
}

// Asked only after posix_spawn failed, whose ENOENT could mean the program,
// the working directory or an output file's directory: names the culprit.
std::string DiagnosePaths(const LaunchRequest& request) {
  struct stat info {};
  if (!request.cwd.empty() &&
      (stat(request.cwd.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))) {
    return "working directory " + request.cwd + " does not exist";
  }
  for (const std::string* path : {&request.stdout_path, &request.stderr_path}) {
    if (path->empty()) continue;
    int fd = open(path->c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return "cannot open " + *path + ": " + std::strerror(errno);
    close(fd);
  }
  return {};
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

/// Binds the calling thread to `cpus` for its lifetime (no-op when empty).
class ScopedAffinity {
 public:
  explicit ScopedAffinity(const std::vector<int32_t>& cpus) {
    if (cpus.empty() || PilotMask() == nullptr) return;
    cpu_set_t wanted;
    CPU_ZERO(&wanted);
    for (int32_t cpu : cpus) {
      if (cpu >= 0 && cpu < CPU_SETSIZE)
        CPU_SET(static_cast<size_t>(cpu), &wanted);
    }
    active_ = sched_setaffinity(0, sizeof(wanted), &wanted) == 0;
  }
  ~ScopedAffinity() {
    if (active_) sched_setaffinity(0, sizeof(cpu_set_t), PilotMask());
  }
  ScopedAffinity(const ScopedAffinity&) = delete;
  ScopedAffinity& operator=(const ScopedAffinity&) = delete;

 private:
  bool active_ = false;
};

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (const std::string& s : strings)
    pointers.push_back(const_cast<char*>(s.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

LaunchOutcome SpawnFailure(int error_number, const std::string& program) {
  LaunchOutcome outcome;
  outcome.error = "cannot run " + program + ": " + std::strerror(error_number);
  if (error_number == ENOENT) outcome.exit_code = 127;
  if (error_number == EACCES || error_number == ENOEXEC)
    outcome.exit_code = 126;
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

// The common case costs one posix_spawn: paths are checked only when it
// fails, and output directories only the first time they are seen.
LaunchOutcome PosixLauncher::Launch(const LaunchRequest& request) {
  LaunchOutcome outcome;
  SpawnSetup setup;
  if (request.argv.empty()) outcome.error = "empty command";
  if (outcome.error.empty()) outcome.error = PrepareDirectories(request);
  if (outcome.error.empty()) {
    outcome.error = SetFileActions(request, setup.actions());
  }
  if (outcome.error.empty() && SetAttributes(setup.attr()) != 0) {
    outcome.error = "posix_spawnattr setup failed";
  }
  if (!outcome.error.empty()) return outcome;

  std::vector<char*> c_argv = CStrings(request.argv);
  std::vector<char*> c_envp = CStrings(request.envp);
  pid_t pid = -1;
  int rc = 0;
  {
    // posix_spawn has no affinity attribute: the child inherits the calling
    // thread's mask, so bind this thread for the spawn and restore it.
    ScopedAffinity binding(request.cpus);
    rc = posix_spawnp(&pid, c_argv[0], setup.actions(), setup.attr(),
                      c_argv.data(), c_envp.data());
  }
  if (rc != 0) {
    outcome.error = DiagnosePaths(request);
    if (!outcome.error.empty()) return outcome;
    return SpawnFailure(rc, request.argv[0]);
  }
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
