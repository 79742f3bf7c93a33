#include "master/run_state.h"

#include <algorithm>
#include <cmath>
#include <string>
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

JournalRecord RunState::AllocationNodesRecord(std::vector<NodeRecord> nodes) {
  JournalRecord record;
  record.type = JournalRecordType::kAllocationNodes;
  record.nodes = std::move(nodes);
  for (NodeRecord& node : record.nodes) node.allocation = 0;  // not journaled
  return record;
}

JournalRecord RunState::TaskNodesRecord(uint32_t row, int32_t attempt,
                                        std::vector<int32_t> ranks) {
  JournalRecord record;
  record.type = JournalRecordType::kTaskNodes;
  record.row = row;
  record.attempt = attempt;
  record.ranks = std::move(ranks);
  return record;
}

std::vector<JournalRecord> RunState::LostAttemptRecords(double time) const {
  std::vector<JournalRecord> records;
  for (uint32_t row = 0; row < status_.size(); ++row) {
    const TaskStatus& status = status_[row];
    if (status.state != TaskState::kRunning) continue;
    JournalRecord record;
    record.type = JournalRecordType::kTaskEnded;
    record.row = row;
    record.attempt = status.attempts;
    record.state = TaskState::kInterrupted;
    record.time = time;
    record.rank = status.rank;
    record.text = kLostReason;
    records.push_back(std::move(record));
  }
  return records;
}

double RunState::LatestRecordedTime() const {
  double latest =
      allocations_.empty() ? kNoTime : allocations_.back().started_at;
  for (size_t i = allocation_first_event_; i < events_.size(); ++i) {
    // fmax: a NaN on either side gives the other.
    latest = std::fmax(latest, events_[i].time);
  }
  return latest;
}

void RunState::Apply(const JournalRecord& record) {
  switch (record.type) {
    case JournalRecordType::kRunStarted:
    case JournalRecordType::kRunResumed:
      OpenAllocation(record);
      return;
    case JournalRecordType::kRunFinished:
      if (!allocations_.empty()) allocations_.back().ended_at = record.time;
      return;
    case JournalRecordType::kAllocationNodes:
      ApplyAllocationNodes(record.nodes);
      return;
    default:
      if (record.row < specs_.size()) ApplyTaskRecord(record);
  }
}

void RunState::ApplyTaskRecord(const JournalRecord& record) {
  if (record.type == JournalRecordType::kTaskStarted) ApplyStarted(record);
  if (record.type == JournalRecordType::kTaskEnded) ApplyEnded(record);
  if (record.type == JournalRecordType::kTaskNodes) ApplyTaskNodes(record);
  if (record.type == JournalRecordType::kTaskResults) {
    if (!record.results.empty() || notes_.Has(record.row)) {
      notes_.Edit(record.row).results = record.results;
      notes_.Compact(record.row);
    }
  }
}

// A stopped allocation that recorded no finish ended when it last recorded
// anything: the lost attempts' ends, written before the RunResumed, say so
// too.
void RunState::OpenAllocation(const JournalRecord& record) {
  if (!allocations_.empty() && std::isnan(allocations_.back().ended_at)) {
    allocations_.back().ended_at = LatestRecordedTime();
  }
  AllocationRecord allocation;
  allocation.started_at = record.time;
  allocation.ranks = record.rank;
  allocations_.push_back(allocation);
  allocation_first_event_ = events_.size();
  // Its ranks serve no node until its node record says which.
  rank_lists_.clear();
  next_start_nodes_ = NextStartNodes{};
}

// Rows of /nodes accumulate over allocations; node_ids name them by their
// row in the whole table.
void RunState::ApplyAllocationNodes(const std::vector<NodeRecord>& nodes) {
  const auto allocation =
      static_cast<int32_t>(std::max<size_t>(allocations_.size(), 1) - 1);
  if (!allocations_.empty()) {
    allocations_.back().nodes = static_cast<int32_t>(nodes.size());
  }
  rank_lists_.clear();
  for (const NodeRecord& node : nodes) {
    const size_t row = nodes_.size();
    nodes_.push_back(node);
    nodes_.back().allocation = allocation;
    if (node.rank < 0) continue;
    const auto rank = static_cast<size_t>(node.rank);
    if (rank >= rank_lists_.size()) rank_lists_.resize(rank + 1, 0);
    rank_lists_[rank] = node_lists_.Intern(std::to_string(row));
  }
}

// A rank that serves no node of the allocation (a journal without its node
// record) makes the whole list unknown: "", never a partial list.
void RunState::ApplyTaskNodes(const JournalRecord& record) {
  std::string list;
  for (const int32_t rank : record.ranks) {
    const int32_t single = NodeListOfRank(rank);
    if (single == 0) {
      list.clear();
      break;
    }
    if (!list.empty()) list += ',';
    list += node_lists_.at(static_cast<size_t>(single));
  }
  next_start_nodes_ =
      NextStartNodes{record.row, record.attempt, node_lists_.Intern(list)};
}

void RunState::ApplyStarted(const JournalRecord& record) {
  TaskStatus& status = status_[record.row];
  SetState(&status, TaskState::kRunning);
  status.attempts = record.attempt;
  status.rank = record.rank;
  status.host = InternHost(record.text);
  status.start_time = record.time;
  status.end_time = kNoTime;
  if (next_start_nodes_.attempt == record.attempt &&
      next_start_nodes_.row == record.row) {
    task_nodes_[record.row] = next_start_nodes_.list;
    next_start_nodes_.attempt = -1;
  } else {
    task_nodes_[record.row] = NodeListOfRank(record.rank);
  }
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
