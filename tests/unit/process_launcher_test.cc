// PosixLauncher's two ways of waiting for a child: sigtimedwait when the
// thread blocks SIGCHLD (as `sortie run` does), a pidfd poll otherwise.
#include "worker/process_launcher.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>

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
