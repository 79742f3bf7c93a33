// The master's picture of the run: every task's spec and status, the host
// table, and run-wide facts. Each change returns the journal record that
// describes it, so nothing changes without being journaled.
#pragma once

#include <array>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/task.h"
#include "master/journal.h"
#include "master/run_file.h"

namespace sortie {

/// Tasks and their states, owned by the master.
class RunState {
 public:
  /// Takes the manifest's tasks (all PENDING) and the run's facts.
  RunState(std::vector<TaskSpec> specs, RunInfo info);

  /// Tasks in manifest order.
  const std::vector<TaskSpec>& specs() const { return specs_; }
  /// Status of each task, parallel to specs().
  const std::vector<TaskStatus>& status() const { return status_; }
  /// Run-wide facts (root attributes of run.h5).
  RunInfo& info() { return info_; }
  /// Everything run.h5 is written from.
  RunView View() const {
    return RunView{info_, specs_, status_, hosts_, nodes_, task_nodes_};
  }
  /// The allocation's nodes (rows of /nodes).
  void SetNodes(std::vector<NodeRecord> nodes) { nodes_ = std::move(nodes); }
  /// The /nodes rows `row`'s latest placement runs on, as "0,3,4".
  void SetTaskNodes(uint32_t row, std::string node_ids) {
    task_nodes_.at(row) = std::move(node_ids);
  }

  /// Index of `host` in the host table, adding it when new.
  int InternHost(const std::string& host);
  /// Host name for an index from InternHost.
  const std::string& HostName(int index) const {
    return hosts_.at(static_cast<size_t>(index));
  }

  /// The attempt `attempt` of `row` started on `rank`/`host` at `time`.
  JournalRecord MarkStarted(uint32_t row, int32_t attempt, int rank, int host,
                            double time);
  /// An attempt ended (whether or not a start was seen before).
  JournalRecord MarkEnded(const TaskResult& result, int rank, int host);

  /// Number of tasks now in `state`.
  size_t Count(TaskState state) const {
    return counts_[static_cast<size_t>(state)];
  }
  /// Tasks not yet DONE or FAILED.
  size_t Unfinished() const {
    return Count(TaskState::kPending) + Count(TaskState::kRunning);
  }
  /// The run's exit status so far: 0 when every task is DONE, else 1.
  int ExitStatus() const {
    return Count(TaskState::kDone) == specs_.size() ? 0 : 1;
  }

 private:
  void SetState(TaskStatus* status, TaskState state);

  std::vector<TaskSpec> specs_;
  std::vector<TaskStatus> status_;
  std::vector<std::string> hosts_;
  std::vector<NodeRecord> nodes_;
  std::vector<std::string> task_nodes_;
  std::unordered_map<std::string, int> host_index_;
  std::array<size_t, 4> counts_{};
  RunInfo info_;
};

}  // namespace sortie
