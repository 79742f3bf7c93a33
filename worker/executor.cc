#include "worker/executor.h"

#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include "worker/environment.h"

namespace sortie {
namespace {

// The reason a task never ran belongs where its user will look first: the
// task's own stderr file.
void AppendToFile(const std::string& path, const std::string& text) {
  if (path.empty()) return;
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  ssize_t written = write(fd, text.data(), text.size());
  (void)written;  // best effort: the state and exit code carry the failure
  close(fd);
}

}  // namespace

Executor::Executor(ProcessLauncher& launcher, Clock& clock,
                   std::vector<std::string> base_env, int rank)
    : launcher_(launcher),
      clock_(clock),
      base_env_(std::move(base_env)),
      rank_(rank) {}

void Executor::Start(const Assignment& assignment) {
  std::vector<std::string> env = TaskEnvironment(
      base_env_, assignment.spec, TaskEnvContext{assignment.attempt, rank_});
  double now = clock_.Now();
  LaunchOutcome outcome = launcher_.Launch(assignment.spec, env);
  if (outcome.pid <= 0) {
    RecordLaunchFailure(assignment, outcome, now);
    return;
  }
  TaskResult result;
  result.row = assignment.row;
  result.attempt = assignment.attempt;
  result.start_time = now;
  running_.emplace(outcome.pid, result);
  started_.push_back(StartNotice{assignment.row, assignment.attempt, now});
}

void Executor::RecordLaunchFailure(const Assignment& assignment,
                                   const LaunchOutcome& outcome, double now) {
  AppendToFile(assignment.spec.stderr_path, "sortie: " + outcome.error + "\n");
  TaskResult result;
  result.row = assignment.row;
  result.attempt = assignment.attempt;
  result.exit_code = outcome.exit_code;
  result.start_time = now;
  result.end_time = now;
  finished_.push_back(result);
}

bool Executor::Poll() {
  if (!running_.empty()) {
    std::vector<ProcessExit> exits = launcher_.Reap();
    double now = exits.empty() ? 0.0 : clock_.Now();
    for (const ProcessExit& exit : exits) {
      auto it = running_.find(exit.pid);
      if (it == running_.end()) continue;
      TaskResult result = it->second;
      running_.erase(it);
      result.exit_code = exit.exit_code;
      result.signal = exit.signal;
      result.end_time = now;
      finished_.push_back(result);
    }
  }
  return !started_.empty() || !finished_.empty();
}

std::vector<StartNotice> Executor::TakeStarted() {
  return std::exchange(started_, {});
}

std::vector<TaskResult> Executor::TakeFinished() {
  return std::exchange(finished_, {});
}

}  // namespace sortie
