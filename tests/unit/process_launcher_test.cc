// PosixLauncher: how a child starts (a clean slate, or a failure that names
// its cause), and its two ways of waiting for a child: sigtimedwait when the
// thread blocks SIGCHLD (as `sortie run` does), a pidfd poll otherwise.
#include "worker/process_launcher.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "test_dir.h"

namespace sortie {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since)
      .count();
}

/// Sets whether this thread blocks SIGCHLD for its lifetime, dropping any
/// SIGCHLD already pending; restores the old mask after.
class ChildSignalMask {
 public:
  explicit ChildSignalMask(bool blocked) {
    sigset_t child;
    sigemptyset(&child);
    sigaddset(&child, SIGCHLD);
    pthread_sigmask(blocked ? SIG_BLOCK : SIG_UNBLOCK, &child, &saved_);
    const timespec zero{0, 0};
    while (blocked && sigtimedwait(&child, nullptr, &zero) == SIGCHLD) {
    }
  }
  ~ChildSignalMask() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }

 private:
  sigset_t saved_;
};

LaunchRequest Command(std::vector<std::string> argv) {
  LaunchRequest request;
  request.argv = std::move(argv);
  request.envp = {"PATH=/usr/bin:/bin"};
  return request;
}

/// Runs `request` to its end; returns its exit code (-1 if it did not start).
int RunToEnd(PosixLauncher& launcher, const LaunchRequest& request) {
  if (launcher.Launch(request).pid <= 0) return -1;
  std::vector<ProcessExit> ended;
  while ((ended = launcher.Reap()).empty()) launcher.WaitForExit(1.0);
  return ended.front().exit_code;
}

class PosixLauncherStartTest : public TestWithDir {
 protected:
  PosixLauncher launcher_;
};

// The pilot's own ignored and blocked signals must not reach a task: a task
// ignoring SIGTERM could not be stopped at its walltime.
TEST_F(PosixLauncherStartTest, TheTaskIgnoresAndBlocksNoSignal) {
  struct sigaction ignore = {};
  struct sigaction saved_term = {};
  struct sigaction saved_usr1 = {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGTERM, &ignore, &saved_term);
  sigaction(SIGUSR1, &ignore, &saved_usr1);
  sigset_t usr2, saved_mask;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &usr2, &saved_mask);

  LaunchRequest request =
      Command({"grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"});
  request.stdout_path = (dir_ / "signals.out").string();
  const int exit_code = RunToEnd(launcher_, request);

  pthread_sigmask(SIG_SETMASK, &saved_mask, nullptr);
  sigaction(SIGTERM, &saved_term, nullptr);
  sigaction(SIGUSR1, &saved_usr1, nullptr);
  EXPECT_EQ(exit_code, 0);
  EXPECT_EQ(ReadFile(request.stdout_path),
            "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

TEST_F(PosixLauncherStartTest, AnOutputFileThatCannotBeOpenedIsNamed) {
  std::filesystem::create_directories(dir_ / "a-directory");
  LaunchRequest request = Command({"true"});
  request.stdout_path = (dir_ / "fine.out").string();
  request.stderr_path = (dir_ / "a-directory").string();
  const LaunchOutcome outcome = launcher_.Launch(request);
  EXPECT_EQ(outcome.pid, -1);
  EXPECT_EQ(outcome.exit_code, -1);
  EXPECT_EQ(outcome.error, "cannot open " + request.stderr_path + ": " +
                               std::strerror(EISDIR));
  EXPECT_EQ(launcher_.Running(), 0u);
}

TEST_F(PosixLauncherStartTest, AProgramThatIsNotExecutableIs126) {
  const std::string script = (dir_ / "not-executable").string();
  std::ofstream(script) << "#!/bin/sh\n";
  chmod(script.c_str(), 0644);
  const LaunchOutcome outcome = launcher_.Launch(Command({script}));
  EXPECT_EQ(outcome.pid, -1);
  EXPECT_EQ(outcome.exit_code, 126);
  EXPECT_EQ(outcome.error,
            "cannot run " + script + ": " + std::strerror(EACCES));
}

TEST_F(PosixLauncherStartTest, AProgramNotInPathIs127) {
  const LaunchOutcome outcome =
      launcher_.Launch(Command({"sortie-no-such-program"}));
  EXPECT_EQ(outcome.pid, -1);
  EXPECT_EQ(outcome.exit_code, 127);
  EXPECT_EQ(outcome.error, "cannot run sortie-no-such-program: " +
                               std::string(std::strerror(ENOENT)));
}

TEST_F(PosixLauncherStartTest, AWorkingDirectoryThatIsAFileIsNamed) {
  const std::string file = (dir_ / "a-file").string();
  std::ofstream(file) << "x";
  LaunchRequest request = Command({"true"});
  request.cwd = file;
  const LaunchOutcome outcome = launcher_.Launch(request);
  EXPECT_EQ(outcome.pid, -1);
  EXPECT_EQ(outcome.error, "working directory " + file + " does not exist");
}

TEST_F(PosixLauncherStartTest, StdoutAndStderrTruncateAndCanShareAFile) {
  LaunchRequest request = Command({"sh", "-c", "echo out; echo err >&2"});
  request.stdout_path = (dir_ / "both.log").string();
  request.stderr_path = request.stdout_path;
  std::ofstream(request.stdout_path) << "old contents, longer than the new\n";
  EXPECT_EQ(RunToEnd(launcher_, request), 0);
  EXPECT_EQ(ReadFile(request.stdout_path), "out\nerr\n");
}

// "R" running, "S" sleeping, "Z" a zombie, ...; "gone" when no such process.
std::string ProcessState(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  const size_t name_end = stat.rfind(')');
  if (name_end == std::string::npos || name_end + 2 >= stat.size())
    return "gone";
  return stat.substr(name_end + 2, 1);
}

// A rank killed with SIGKILL (a node failure, a crashed function) must not
// leave its tasks running with parent 1 beside the copies a resume starts.
TEST_F(PosixLauncherStartTest, ATaskDiesWithThePilotThatStartedIt) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t pilot = fork();
  ASSERT_GE(pilot, 0);
  if (pilot == 0) {  // the pilot: starts a long task, then is killed
    PosixLauncher launcher;
    const pid_t task = launcher.Launch(Command({"sleep", "60"})).pid;
    if (write(pipe_fds[1], &task, sizeof task) != sizeof task) _exit(1);
    raise(SIGKILL);
  }
  close(pipe_fds[1]);
  pid_t task = -1;
  ASSERT_EQ(read(pipe_fds[0], &task, sizeof task),
            static_cast<ssize_t>(sizeof task));
  close(pipe_fds[0]);
  ASSERT_GT(task, 0);
  int status = 0;
  ASSERT_EQ(waitpid(pilot, &status, 0), pilot);
  ASSERT_TRUE(WIFSIGNALED(status));
  const auto start = std::chrono::steady_clock::now();
  std::string state = ProcessState(task);
  while (state != "gone" && state != "Z" && Seconds(start) < 5) {
    usleep(10000);
    state = ProcessState(task);
  }
  kill(task, SIGKILL);  // the test leaves nothing running, whatever it found
  // A zombie is dead: whether it is reaped is up to the host's init.
  EXPECT_TRUE(state == "gone" || state == "Z") << "the task is " << state;
}

class PosixLauncherWaitTest : public ::testing::TestWithParam<bool> {};

TEST_P(PosixLauncherWaitTest, WakesWhenTheChildExitsNotAtTheTimeout) {
  ChildSignalMask mask(GetParam());
  PosixLauncher launcher;
  ASSERT_GT(launcher.Launch(Command({"sleep", "0.2"})).pid, 0);
  const auto start = std::chrono::steady_clock::now();
  while (launcher.Reap().empty() && Seconds(start) < 10) {
    launcher.WaitForExit(5.0);
  }
  EXPECT_GT(Seconds(start), 0.15);
  EXPECT_LT(Seconds(start), 2.0);  // not the 5 s timeout
}

TEST_P(PosixLauncherWaitTest, AChildThatEndedBeforeTheWaitEndsItAtOnce) {
  ChildSignalMask mask(GetParam());
  PosixLauncher launcher;
  ASSERT_GT(launcher.Launch(Command({"true"})).pid, 0);
  usleep(200000);
  const auto start = std::chrono::steady_clock::now();
  launcher.WaitForExit(5.0);
  EXPECT_LT(Seconds(start), 1.0);
  EXPECT_EQ(launcher.Reap().size(), 1u);
}

TEST_P(PosixLauncherWaitTest, WithNoChildrenItReturnsAtOnce) {
  ChildSignalMask mask(GetParam());
  PosixLauncher launcher;
  const auto start = std::chrono::steady_clock::now();
  launcher.WaitForExit(5.0);
  EXPECT_LT(Seconds(start), 1.0);
}

INSTANTIATE_TEST_SUITE_P(SigchldBlockedOrNot, PosixLauncherWaitTest,
                         ::testing::Bool());

}  // namespace
}  // namespace sortie
