#include "worker/process_launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
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
    rc = posix_spawnattr_setflags(
        attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK |
                  POSIX_SPAWN_SETPGROUP);
  }
  return rc;
}

std::string EnsureParentDirectory(const std::string& path) {
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return "cannot create directory " + parent.string() + ": " + ec.message();
  return {};
}

std::string SetFileActions(const TaskSpec& spec,
                           posix_spawn_file_actions_t* actions) {
  constexpr int kOutFlags = O_WRONLY | O_CREAT | O_TRUNC;
  int rc = posix_spawn_file_actions_addopen(actions, 0, "/dev/null", O_RDONLY, 0);
  if (rc == 0 && !spec.stdout_path.empty()) {
    rc = posix_spawn_file_actions_addopen(actions, 1, spec.stdout_path.c_str(),
                                          kOutFlags, 0644);
  }
  if (rc == 0 && !spec.stderr_path.empty()) {
    rc = spec.stderr_path == spec.stdout_path
             ? posix_spawn_file_actions_adddup2(actions, 1, 2)
             : posix_spawn_file_actions_addopen(
                   actions, 2, spec.stderr_path.c_str(), kOutFlags, 0644);
  }
  if (rc == 0 && !spec.cwd.empty()) {
    rc = posix_spawn_file_actions_addchdir_np(actions, spec.cwd.c_str());
  }
  return rc == 0 ? std::string() : std::string("posix_spawn setup: ") + std::strerror(rc);
}

// Checked in the parent so that a missing cwd or unwritable output file is
// reported as such, not as posix_spawn's ambiguous ENOENT. Creates the output
// files' directories.
std::string CheckPaths(const TaskSpec& spec) {
  struct stat info {};
  if (!spec.cwd.empty() &&
      (stat(spec.cwd.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))) {
    return "working directory " + spec.cwd + " does not exist";
  }
  for (const std::string* path : {&spec.stdout_path, &spec.stderr_path}) {
    if (path->empty()) continue;
    std::string error = EnsureParentDirectory(*path);
    if (!error.empty()) return error;
    int fd = open(path->c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return "cannot open " + *path + ": " + std::strerror(errno);
    close(fd);
  }
  return {};
}

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (const std::string& s : strings) pointers.push_back(const_cast<char*>(s.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

LaunchOutcome SpawnFailure(int error_number, const TaskSpec& spec) {
  LaunchOutcome outcome;
  const std::string& program = spec.shell ? std::string("/bin/sh") : spec.command[0];
  outcome.error = "cannot run " + program + ": " + std::strerror(error_number);
  if (error_number == ENOENT) outcome.exit_code = 127;
  if (error_number == EACCES || error_number == ENOEXEC) outcome.exit_code = 126;
  return outcome;
}

}  // namespace

PosixLauncher::~PosixLauncher() {
  for (auto& [pid, pidfd] : children_) {
    if (pidfd >= 0) close(pidfd);
  }
}

LaunchOutcome PosixLauncher::Launch(const TaskSpec& spec,
                                    const std::vector<std::string>& envp) {
  LaunchOutcome outcome;
  SpawnSetup setup;
  outcome.error = CheckPaths(spec);
  if (outcome.error.empty()) outcome.error = SetFileActions(spec, setup.actions());
  if (outcome.error.empty() && SetAttributes(setup.attr()) != 0) {
    outcome.error = "posix_spawnattr setup failed";
  }
  if (!outcome.error.empty()) return outcome;

  std::vector<std::string> argv =
      spec.shell ? std::vector<std::string>{"/bin/sh", "-c", spec.command.at(0)}
                 : spec.command;
  std::vector<char*> c_argv = CStrings(argv);
  std::vector<char*> c_envp = CStrings(envp);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, c_argv[0], setup.actions(), setup.attr(),
                        c_argv.data(), c_envp.data());
  if (rc != 0) return SpawnFailure(rc, spec);
  children_[pid] = PidfdOpen(pid);
  outcome.pid = pid;
  return outcome;
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

void PosixLauncher::WaitForExit(double seconds) {
  if (children_.empty() || !(seconds > 0)) return;
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
  timespec timeout{static_cast<time_t>(seconds),
                   static_cast<long>(std::fmod(seconds, 1.0) * 1e9)};
  ppoll(fds.data(), fds.size(), &timeout, nullptr);
}

}  // namespace sortie
