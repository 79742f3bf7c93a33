#include "master/run_state.h"

#include <utility>

#include "common/protocol.h"
#include "common/spec_digest.h"

namespace sortie {
namespace {

bool IsFailure(TaskState state) {
  return state == TaskState::kFailed || state == TaskState::kTimeout;
}

}  // namespace

RunState::RunState(std::vector<TaskSpec> specs, RunInfo info,
                   std::string logs_dir)
    : specs_(std::move(specs)),
      status_(specs_.size()),
      task_nodes_(specs_.size()),
      notes_(specs_.size()),
      info_(std::move(info)),
      logs_dir_(std::move(logs_dir)) {
  counts_[static_cast<size_t>(TaskState::kPending)] = specs_.size();
  // A start and an end per task: reserved up front, the vector never holds
  // doubling slack or two copies while it grows (pages stay untouched, so
  // not resident, until used).
  events_.reserve(2 * specs_.size());
  node_lists_.Intern("");  // index 0, which task_nodes_ starts at: never ran
}

void RunState::SetState(TaskStatus* status, TaskState state) {
  --counts_[static_cast<size_t>(status->state)];
  ++counts_[static_cast<size_t>(state)];
  status->state = state;
}

TaskSpec RunState::FullSpec(uint32_t row) const {
  TaskSpec spec = specs_.at(row);
  if (!logs_dir_.empty()) FillDefaultOutputs(logs_dir_, row, &spec);
  return spec;
}

const TaskSpec& RunState::SpecToSend(uint32_t row, TaskSpec* scratch) const {
  const TaskSpec& spec = specs_.at(row);
  // FillDefaultOutputs gives a function task no paths.
  if (!spec.function.empty() || logs_dir_.empty()) return spec;
  *scratch = FullSpec(row);
  return *scratch;
}

uint64_t RunState::SpecHash(uint32_t row) const {
  // Over the spec as the task gets it, default output paths included.
  TaskSpec scratch;
  return SpecDigest(SpecToSend(row, &scratch));
}

JournalRecord RunState::StartedRecord(uint32_t row, int32_t attempt, int rank,
                                      const std::string& host, double time,
                                      uint64_t spec_hash) {
  JournalRecord record;
  record.type = JournalRecordType::kTaskStarted;
  record.row = row;
  record.attempt = attempt;
  record.rank = rank;
  record.text = host;
  record.time = time;
  record.count = spec_hash;
  return record;
}

JournalRecord RunState::EndedRecord(const TaskResult& result, int rank) {
  JournalRecord record;
  record.type = JournalRecordType::kTaskEnded;
  record.row = result.row;
  record.attempt = result.attempt;
  record.rank = rank;
  record.state = result.FinalState();
  record.exit_code = result.exit_code;
  record.signal = result.signal;
  record.time = result.end_time;
  record.text = result.reason;  // a launch error; empty for most attempts
  record.stdout_tail = result.stdout_tail;
  record.stderr_tail = result.stderr_tail;
  return record;
}

JournalRecord RunState::ResultsRecord(const TaskResult& result) {
  JournalRecord record;
  record.type = JournalRecordType::kTaskResults;
  record.row = result.row;
  record.attempt = result.attempt;
  record.results = result.results;
  return record;
}

JournalRecord RunState::SkippedRecord(uint32_t row, std::string reason,
                                      double time) {
  JournalRecord record;
  record.type = JournalRecordType::kTaskEnded;
  record.row = row;
  record.state = TaskState::kSkipped;
  record.time = time;
  record.text = std::move(reason);
  return record;
}

void RunState::Apply(const JournalRecord& record) {
  if (record.row >= specs_.size()) return;
  if (record.type == JournalRecordType::kTaskStarted) ApplyStarted(record);
  if (record.type == JournalRecordType::kTaskEnded) ApplyEnded(record);
  if (record.type == JournalRecordType::kTaskResults) {
    if (!record.results.empty() || notes_.Has(record.row)) {
      notes_.Edit(record.row).results = record.results;
      notes_.Compact(record.row);
    }
  }
}

void RunState::ApplyStarted(const JournalRecord& record) {
  TaskStatus& status = status_[record.row];
  SetState(&status, TaskState::kRunning);
  status.attempts = record.attempt;
  status.rank = record.rank;
  status.host = InternHost(record.text);
  status.start_time = record.time;
  status.end_time = kNoTime;
  // Only the latest attempt's results count; this one has none yet.
  if (notes_.Has(record.row) && !notes_[record.row].results.empty()) {
    notes_.Edit(record.row).results.clear();
    notes_.Compact(record.row);
  }
  events_.push_back(TaskEvent{record.row, record.attempt, record.time,
                              TaskState::kRunning, record.rank});
}

void RunState::ApplyEnded(const JournalRecord& record) {
  TaskStatus& status = status_[record.row];
  const TaskSpec& spec = specs_[record.row];
  if (record.state != TaskState::kSkipped) {
    status.attempts = std::max(status.attempts, record.attempt);
    status.exit_code = record.exit_code;
    status.signal = static_cast<int16_t>(record.signal);
    status.end_time = record.time;
  }
  if (IsFailure(record.state)) ++status.failures;
  bool retry = IsFailure(record.state) && status.failures <= spec.retries;
  SetState(&status, retry ? TaskState::kPending : record.state);
  // This attempt's tails and reason replace the last one's, empty or not.
  if (!record.stdout_tail.empty() || !record.stderr_tail.empty() ||
      !record.text.empty() || notes_.Has(record.row)) {
    TaskNotes& notes = notes_.Edit(record.row);
    notes.stdout_tail = record.stdout_tail;
    notes.stderr_tail = record.stderr_tail;
    notes.reason = record.text;
    notes_.Compact(record.row);
  }
  events_.push_back(TaskEvent{record.row, record.attempt, record.time,
                              record.state, record.rank});
}

void RunState::PrepareResume(bool retry_failed) {
  for (TaskStatus& status : status_) {
    TaskState state = status.state;
    bool rerun =
        state == TaskState::kRunning || state == TaskState::kInterrupted;
    bool retry =
        retry_failed && (IsFailure(state) || state == TaskState::kSkipped);
    if (retry) status.failures = 0;
    if (rerun || retry) SetState(&status, TaskState::kPending);
  }
}

void RunState::Reset(uint32_t row) {
  TaskStatus& status = status_.at(row);
  SetState(&status, TaskState::kPending);
  status.failures = 0;
}

int RunState::ExitStatus() const {
  if (Count(TaskState::kDone) == specs_.size()) return 0;
  if (Count(TaskState::kPending) + Count(TaskState::kRunning) +
          Count(TaskState::kInterrupted) >
      0) {
    return kIncompleteStatus;
  }
  return 1;
}

}  // namespace sortie
