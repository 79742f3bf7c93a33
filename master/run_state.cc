#include "master/run_state.h"

#include <utility>

namespace sortie {

RunState::RunState(std::vector<TaskSpec> specs, RunInfo info)
    : specs_(std::move(specs)),
      status_(specs_.size()),
      task_nodes_(specs_.size()),
      info_(std::move(info)) {
  counts_[static_cast<size_t>(TaskState::kPending)] = specs_.size();
}

int RunState::InternHost(const std::string& host) {
  auto [it, inserted] =
      host_index_.emplace(host, static_cast<int>(hosts_.size()));
  if (inserted) hosts_.push_back(host);
  return it->second;
}

void RunState::SetState(TaskStatus* status, TaskState state) {
  --counts_[static_cast<size_t>(status->state)];
  ++counts_[static_cast<size_t>(state)];
  status->state = state;
}

JournalRecord RunState::MarkStarted(uint32_t row, int32_t attempt, int rank,
                                    int host, double time) {
  TaskStatus& status = status_.at(row);
  SetState(&status, TaskState::kRunning);
  status.attempts = attempt;
  status.rank = rank;
  status.host = host;
  status.start_time = time;
  JournalRecord record;
  record.type = JournalRecordType::kTaskStarted;
  record.row = row;
  record.attempt = attempt;
  record.rank = rank;
  record.text = HostName(host);
  record.time = time;
  return record;
}

JournalRecord RunState::MarkEnded(const TaskResult& result, int rank,
                                  int host) {
  TaskStatus& status = status_.at(result.row);
  SetState(&status, result.FinalState());
  status.attempts = result.attempt;
  status.rank = rank;
  status.host = host;
  status.exit_code = result.exit_code;
  status.signal = result.signal;
  status.start_time = result.start_time;
  status.end_time = result.end_time;
  JournalRecord record;
  record.type = JournalRecordType::kTaskEnded;
  record.row = result.row;
  record.attempt = result.attempt;
  record.state = status.state;
  record.exit_code = result.exit_code;
  record.signal = result.signal;
  record.time = result.end_time;
  return record;
}

}  // namespace sortie
