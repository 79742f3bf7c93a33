#include "worker/executor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <stdexcept>
#include <utility>

#include "common/stderr_line.h"
#include "common/utf8.h"
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

template <class T>
std::string Join(const std::vector<T>& items, size_t first = 0) {
  std::string text;
  for (size_t i = first; i < items.size(); ++i) {
    if (i > first) text += ",";
    if constexpr (std::is_same_v<T, std::string>) {
      text += items[i];
    } else {
      text += std::to_string(items[i]);
    }
  }
  return text;
}

std::vector<std::string> Program(const TaskSpec& spec) {
  if (spec.shell) return {"/bin/sh", "-c", spec.command.at(0)};
  return spec.command;
}

// GPU masks for every vendor's runtime. HIP applies HIP_VISIBLE_DEVICES
// after ROCR_VISIBLE_DEVICES has renumbered the devices from 0, so it lists
// positions, not device ids.
void AddGpuMasks(const std::vector<int32_t>& gpus,
                 std::vector<std::pair<std::string, std::string>>* extra) {
  if (gpus.empty()) return;
  std::vector<int32_t> positions;
  for (size_t i = 0; i < gpus.size(); ++i)
    positions.push_back(static_cast<int32_t>(i));
  extra->emplace_back("CUDA_VISIBLE_DEVICES", Join(gpus));
  extra->emplace_back("ZE_AFFINITY_MASK", Join(gpus));
  extra->emplace_back("ROCR_VISIBLE_DEVICES", Join(gpus));
  extra->emplace_back("HIP_VISIBLE_DEVICES", Join(positions));
}

constexpr double kNever = std::numeric_limits<double>::infinity();

// The last `bytes` bytes of the file at `path` ("" when unreadable): what a
// user wants to see of a failed task without opening its log.
std::string ReadTail(const std::string& path, size_t bytes) {
  if (path.empty()) return {};
  // Most tasks leave empty logs: one stat instead of open, seek and close.
  struct stat info {};
  if (stat(path.c_str(), &info) != 0 || info.st_size == 0) return {};
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string tail;
  off_t size = lseek(fd, 0, SEEK_END);
  if (size > 0) {
    size_t length = std::min(static_cast<size_t>(size), bytes);
    tail.resize(length);
    ssize_t got =
        pread(fd, tail.data(), length, size - static_cast<off_t>(length));
    tail.resize(got > 0 ? static_cast<size_t>(got) : 0);
  }
  close(fd);
  return tail;
}

// A result file left by an earlier attempt (or run) must not be read as this
// attempt's; its directory must exist for the task to write it. Looked up
// before it is removed: unlink takes the directory's lock even for a name that
// is not there, and every task's output files are being created in that
// directory (a third of the pilot's CPU went to spinning on that lock).
void PrepareResultFile(const std::string& path) {
  if (path.empty()) return;
  struct stat info {};
  if (lstat(path.c_str(), &info) == 0) {
    unlink(path.c_str());
    return;
  }
  if (errno != ENOENT) return;  // e.g. ENOTDIR: the task will report it
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(),
                                      ec);
}

}  // namespace

Executor::Executor(ProcessLauncher& launcher, Clock& clock,
                   ExecutorContext context)
    : launcher_(launcher), clock_(clock), context_(std::move(context)) {}

Executor::~Executor() {
  std::error_code ec;
  for (const auto& [pid, running] : running_) {
    if (!running.nodefile.empty())
      std::filesystem::remove(running.nodefile, ec);
  }
  for (const auto& [host, path] : shared_nodefiles_) {
    std::filesystem::remove(path, ec);
  }
  // Only when empty (remove() leaves a directory with anything in it): one
  // per rank and run would otherwise pile up in TMPDIR.
  if (made_scratch_dir_) std::filesystem::remove(context_.scratch_dir, ec);
}

void Executor::Start(const Assignment& assignment) {
  if (assignment.follows >= 0) {
    auto before = static_cast<uint32_t>(assignment.follows);
    if (active_rows_.count(before) > 0) {
      active_rows_.insert(assignment.row);
      followers_.emplace(before, assignment);
      return;
    }
  }
  active_rows_.insert(assignment.row);
  StartNow(assignment);
  StartUnblocked();
  SweepIfDue();
}

// After the tasks are on their way: the sweep reads all of TMPDIR.
void Executor::SweepIfDue() {
  if (!sweep_due_) return;
  sweep_due_ = false;
  context_.after_making_scratch_dir();
}

// A loop, not recursion. Bounded, so that a long chain of function tasks
// is reported in slices: the master refills the queue while the rest runs.
void Executor::StartUnblocked() {
  constexpr int kStartsPerCall = 128;
  for (int i = 0; i < kStartsPerCall && !unblocked_.empty(); ++i) {
    Assignment next = std::move(unblocked_.front());
    unblocked_.pop_front();
    StartNow(next);
  }
}

void Executor::Ended(uint32_t row) {
  active_rows_.erase(row);
  auto it = followers_.find(row);
  if (it == followers_.end()) return;
  unblocked_.push_back(std::move(it->second));
  followers_.erase(it);
}

void Executor::StartNow(const Assignment& assignment) {
  double now = clock_.Now();
  if (draining_) {
    // Assigned before the master heard of the drain: never started.
    Finish(assignment, now, -1, EndCause::kInterrupted);
    return;
  }
  if (!assignment.spec.function.empty()) {
    RunFunction(assignment, now);
    return;
  }
  std::string nodefile = WriteNodefile(assignment);
  PrepareResultFile(assignment.spec.extras().result_path);
  LaunchOutcome outcome;
  try {
    outcome = launcher_.Launch(BuildRequest(assignment, nodefile));
  } catch (const std::invalid_argument& error) {
    // A launch the MPI launcher cannot express fails this task, not the run.
    outcome.error = error.what();
  }
  if (outcome.pid <= 0) {
    AppendToFile(assignment.spec.extras().stderr_path,
                 "sortie: " + outcome.error + "\n");
    std::error_code ec;
    if (assignment.group.hosts.size() > 1)
      std::filesystem::remove(nodefile, ec);
    // The attempt was made here and now: it started, and failed at once.
    started_.push_back(StartNotice{assignment.row, assignment.attempt, now});
    Finish(assignment, now, outcome.exit_code, EndCause::kExited,
           outcome.error);
    return;
  }
  RunningTask running;
  running.result.row = assignment.row;
  running.result.attempt = assignment.attempt;
  running.result.start_time = now;
  if (assignment.group.hosts.size() > 1) running.nodefile = nodefile;
  const TaskExtras& extras = assignment.spec.extras();
  running.stdout_path = extras.stdout_path;
  running.stderr_path = extras.stderr_path;
  running.results_source.stdout_path = extras.stdout_path;
  running.results_source.result_path = extras.result_path;
  running.results_source.result_patterns = extras.result_patterns;
  double timeout = assignment.spec.timeout;
  running.deadline = timeout > 0 ? clock_.Monotonic() + timeout : kNever;
  running.kill_at = kNever;
  running_.emplace(outcome.pid, std::move(running));
  started_.push_back(StartNotice{assignment.row, assignment.attempt, now});
}

LaunchRequest Executor::BuildRequest(const Assignment& assignment,
                                     const std::string& nodefile) const {
  const TaskSpec& spec = assignment.spec;
  const TaskGroup& group = assignment.group;
  TaskEnvContext env{assignment.attempt, context_.rank, {}};
  env.extra.emplace_back("SORTIE_NODES", Join(group.hosts));
  env.extra.emplace_back("SORTIE_NODEFILE", nodefile);
  env.extra.emplace_back("SORTIE_NRANKS", std::to_string(spec.TotalRanks()));
  if (!spec.extras().result_path.empty()) {
    env.extra.emplace_back("SORTIE_RESULT", spec.extras().result_path);
  }
  size_t member = static_cast<size_t>(assignment.member);
  if (member < group.gpus.size()) AddGpuMasks(group.gpus[member], &env.extra);

  LaunchRequest request;
  request.envp = TaskEnvironment(context_.base_env, spec, env);
  request.cwd = spec.extras().cwd;
  request.stdout_path = spec.extras().stdout_path;
  request.stderr_path = spec.extras().stderr_path;
  if (spec.IsMpi()) {
    MpiLaunch launch;
    launch.hosts = group.hosts;
    launch.ranks_per_node = spec.ranks_per_node;
    launch.cores_per_rank = spec.cores_per_rank;
    launch.cpus = group.cpus;
    launch.launcher_args = spec.extras().launcher_args;
    launch.program = Program(spec);
    launch.nodefile = nodefile;
    request.argv = context_.mpi_launcher.Argv(launch);
  } else {
    request.argv = Program(spec);
    if (member < group.cpus.size()) {
      std::set<int32_t> unique(group.cpus[member].begin(),
                               group.cpus[member].end());
      request.cpus.assign(unique.begin(), unique.end());
    }
  }
  return request;
}

// Multi-node tasks get a hostfile of their own (removed when they end);
// single-node tasks share one per host, written once.
std::string Executor::WriteNodefile(const Assignment& assignment) {
  const std::vector<std::string>& hosts = assignment.group.hosts;
  if (hosts.empty()) return {};
  bool shared = hosts.size() == 1;
  if (shared) {
    auto it = shared_nodefiles_.find(hosts[0]);
    if (it != shared_nodefiles_.end()) return it->second;
  }
  std::error_code ec;
  if (std::filesystem::create_directories(context_.scratch_dir, ec)) {
    made_scratch_dir_ = true;
    sweep_due_ = static_cast<bool>(context_.after_making_scratch_dir);
  }
  std::string path = context_.scratch_dir + "/" +
                     (shared ? "host-" + hosts[0]
                             : "task-" + std::to_string(assignment.row) + "-" +
                                   std::to_string(assignment.attempt)) +
                     ".nodes";
  std::ofstream(path) << HostfileText(MpiLaunch{hosts,
                                                assignment.spec.ranks_per_node,
                                                assignment.spec.cores_per_rank,
                                                {},
                                                {},
                                                {},
                                                {}});
  if (shared) shared_nodefiles_[hosts[0]] = path;
  return path;
}

void Executor::RunFunction(const Assignment& assignment, double now) {
  std::string error;
  int exit_code = 127;
  if (context_.functions) {
    exit_code = context_.functions->Run(assignment, &error);
  } else {
    error =
        "function tasks do not run on rank " + std::to_string(context_.rank);
  }
  if (!error.empty()) {
    WriteToStderr("sortie: task " + assignment.spec.id + ": " + error + "\n");
  }
  started_.push_back(StartNotice{assignment.row, assignment.attempt, now});
  Finish(assignment, now, exit_code, EndCause::kExited, error);
}

void Executor::Finish(const Assignment& assignment, double start, int exit_code,
                      EndCause cause, std::string_view reason) {
  TaskResult result;
  result.row = assignment.row;
  result.attempt = assignment.attempt;
  result.exit_code = exit_code;
  result.start_time = start;
  result.end_time = clock_.Now();
  result.cause = cause;
  // Nothing to do for almost every task: only a launch error has a reason.
  if (!reason.empty()) result.reason = Shorten(reason, kReasonMaxBytes);
  result.stderr_tail =
      ReadTail(assignment.spec.extras().stderr_path, kOutputTailBytes);
  finished_.push_back(std::move(result));
  Ended(assignment.row);
}

bool Executor::Poll() {
  if (!running_.empty()) {
    EnforceDeadlines();
    Reap();
  }
  StartUnblocked();
  SweepIfDue();
  return !started_.empty() || !finished_.empty();
}

void Executor::Reap() {
  std::vector<ProcessExit> exits = launcher_.Reap();
  double now = exits.empty() ? 0.0 : clock_.Now();
  for (const ProcessExit& exit : exits) {
    auto it = running_.find(exit.pid);
    if (it == running_.end()) continue;
    RunningTask& task = it->second;
    // Whatever the task started in its group and left behind goes with it.
    launcher_.SignalGroup(exit.pid, SIGKILL);
    if (!task.nodefile.empty()) {
      std::error_code ec;
      std::filesystem::remove(task.nodefile, ec);
    }
    TaskResult result = std::move(task.result);
    result.exit_code = exit.exit_code;
    result.signal = exit.signal;
    result.end_time = now;
    // First: complaints about the results go to stderr, before its tail.
    result.results = CollectResults(task);
    result.stdout_tail = ReadTail(task.stdout_path, kOutputTailBytes);
    if (task.stderr_path != task.stdout_path) {
      result.stderr_tail = ReadTail(task.stderr_path, kOutputTailBytes);
    }
    running_.erase(it);
    uint32_t row = result.row;
    finished_.push_back(std::move(result));
    Ended(row);
  }
  StartUnblocked();
}

std::vector<ResultValue> Executor::CollectResults(const RunningTask& task) {
  std::vector<std::string> warnings;
  std::vector<ResultValue> values =
      results_.Collect(task.results_source, &warnings);
  for (const std::string& warning : warnings) {
    AppendToFile(task.stderr_path, "sortie: results: " + warning + "\n");
  }
  return values;
}

void Executor::EnforceDeadlines() {
  double now = clock_.Monotonic();
  for (auto& [pid, task] : running_) {
    if (now >= task.kill_at) {
      launcher_.SignalGroup(pid, SIGKILL);
      task.kill_at = kNever;
    } else if (now >= task.deadline) {
      Stop(pid, &task, EndCause::kTimedOut, now);
    }
  }
}

void Executor::Stop(pid_t pid, RunningTask* task, EndCause cause, double now) {
  if (task->result.cause == EndCause::kExited) task->result.cause = cause;
  launcher_.SignalGroup(pid, SIGTERM);
  task->deadline = kNever;
  task->kill_at = std::min(task->kill_at, now + context_.kill_grace);
}

void Executor::Interrupt() {
  draining_ = true;
  double now = clock_.Monotonic();
  for (auto& [pid, task] : running_) {
    if (task.result.cause == EndCause::kExited) {
      Stop(pid, &task, EndCause::kInterrupted, now);
    }
  }
}

void Executor::Wait(double seconds) {
  double now = clock_.Monotonic();
  for (const auto& [pid, task] : running_) {
    seconds = std::min(seconds, std::min(task.deadline, task.kill_at) - now);
  }
  launcher_.WaitForExit(std::max(seconds, 0.0));
}

std::vector<StartNotice> Executor::TakeStarted() {
  return std::exchange(started_, {});
}

std::vector<TaskResult> Executor::TakeFinished() {
  return std::exchange(finished_, {});
}

}  // namespace sortie
