#include "master/master.h"

#include <algorithm>
#include <iostream>
#include <utility>

namespace sortie {
namespace {

std::vector<TaskShape> Shapes(const std::vector<TaskSpec>& specs) {
  std::vector<TaskShape> shapes;
  shapes.reserve(specs.size());
  for (const TaskSpec& spec : specs) shapes.push_back(ShapeOf(spec));
  return shapes;
}

// A task that ended this way will not run again in this run: tasks after it
// are skipped.
bool IsFinalFailure(TaskState state) {
  return state == TaskState::kFailed || state == TaskState::kTimeout ||
         state == TaskState::kSkipped;
}

}  // namespace

TaskShape ShapeOf(const TaskSpec& spec) {
  TaskShape shape;
  shape.nodes = spec.nodes;
  shape.ranks_per_node = spec.ranks_per_node;
  shape.cores_per_rank = spec.cores_per_rank;
  shape.gpus_per_rank = spec.gpus_per_rank;
  shape.priority = spec.priority;
  shape.est_runtime = spec.est_runtime;
  shape.function = !spec.function.empty();
  return shape;
}

Master::Master(RunState& state, Transport& transport, Clock& clock,
               JournalSink& journal, SnapshotWriter snapshot, Executor* local,
               std::vector<ClusterNode> nodes, MasterOptions options)
    : state_(state),
      transport_(transport),
      clock_(clock),
      journal_(journal),
      snapshot_(std::move(snapshot)),
      local_(local),
      nodes_(std::move(nodes)),
      options_(std::move(options)),
      scheduler_(Shapes(state.specs())),
      outstanding_(state.specs().size()),
      lanes_(state.specs().size()),
      runtimes_(scheduler_.ShapeClasses()),
      dependants_(state.specs()),
      spec_hashes_(state),
      events_prefault_(state.UnusedEventSpace().first,
                       state.UnusedEventSpace().second),
      progress_(options_.progress) {
  for (const ClusterNode& node : nodes_) {
    rank_host_[node.rank] = node.host;
    scheduler_.AddNode(NodeCapacity{static_cast<int32_t>(node.cpu_ids.size()),
                                    static_cast<int32_t>(node.gpu_ids.size()),
                                    node.runs_functions});
  }
  // From the index of dependants rather than from the specs: no pass over
  // a million specs when no task names another in `after`.
  const size_t rows = state_.specs().size();
  waiting_on_.resize(rows);
  for (uint32_t before = 0; before < rows && !dependants_.empty(); ++before) {
    if (state_.status()[before].state == TaskState::kDone) continue;
    for (uint32_t row : dependants_.Of(before)) ++waiting_on_[row];
  }
}

// On resume a prerequisite may already have failed for good: its dependants
// are skipped before anything starts. A run whose order is row order alone
// (one shape class, one priority, no `after`) queues its rows a chunk per
// loop round: queuing a million takes the master 15-30 ms, which the first
// tasks need not wait for.
void Master::QueueInitialTasks() {
  const std::vector<TaskStatus>& status = state_.status();
  for (uint32_t row = 0; row < status.size() && !dependants_.empty(); ++row) {
    if (IsFinalFailure(status[row].state)) SkipDependants(row);
  }
  const bool in_chunks = scheduler_.ShapeClasses() == 1 &&
                         scheduler_.UniformPriority() && dependants_.empty() &&
                         options_.initial_queue_chunk > 0;
  QueueMoreInitialTasks(in_chunks ? options_.initial_queue_chunk
                                  : status.size());
}

bool Master::QueueMoreInitialTasks(size_t most) {
  const std::vector<TaskStatus>& status = state_.status();
  if (!InitialRowsLeft()) return false;
  const size_t end = std::min(status.size(), initial_next_ + most);
  for (size_t row = initial_next_; row < end; ++row) {
    if (status[row].state == TaskState::kPending && waiting_on_[row] == 0) {
      Enqueue(static_cast<uint32_t>(row));
    }
  }
  initial_next_ = end;
  return true;
}

void Master::Enqueue(uint32_t row) {
  if (!draining_) scheduler_.MakeReady(row);
}

void Master::Record(const JournalRecord& record) {
  journal_.Append(record);
  state_.Apply(record);
}

// What an ended task releases: its dependants when DONE, another attempt
// when it has retries left (Apply put it back to PENDING), or skips.
void Master::AfterEnd(uint32_t row) {
  TaskState state = state_.status()[row].state;
  if (state == TaskState::kPending) Enqueue(row);
  if (IsFinalFailure(state)) SkipDependants(row);
  if (state != TaskState::kDone) return;
  for (uint32_t next : dependants_.Of(row)) {
    if (--waiting_on_[next] == 0 &&
        state_.status()[next].state == TaskState::kPending) {
      Enqueue(next);
    }
  }
}

// Iterative, so a million-task chain cannot overflow the stack.
void Master::SkipDependants(uint32_t row) {
  std::vector<uint32_t> stack = {row};
  while (!stack.empty()) {
    uint32_t failed = stack.back();
    stack.pop_back();
    for (uint32_t next : dependants_.Of(failed)) {
      if (state_.status()[next].state != TaskState::kPending) continue;
      std::string reason =
          "after \"" + state_.specs()[failed].id + "\", which ended " +
          std::string(StateName(state_.status()[failed].state));
      Record(RunState::SkippedRecord(next, std::move(reason), clock_.Now()));
      stack.push_back(next);
    }
  }
}

int Master::Run() {
  JournalRecord opening;
  opening.type = options_.resumed ? JournalRecordType::kRunResumed
                                  : JournalRecordType::kRunStarted;
  opening.text = state_.info().manifest_path;
  opening.sha256 = state_.info().manifest_sha256;
  opening.count = state_.specs().size();
  opening.rank = transport_.size();
  opening.time = options_.resumed ? clock_.Now() : state_.info().started_at;
  Record(opening);
  // The nodes come from the journal, as everything run.h5 says: a later
  // resume still knows where this allocation's attempts ran.
  std::vector<NodeRecord> records;
  for (const ClusterNode& node : nodes_) records.push_back(node.Record());
  Record(RunState::AllocationNodesRecord(std::move(records)));
  last_flush_ = last_snapshot_ = clock_.Monotonic();
  QueueInitialTasks();

  Backoff backoff(options_.min_idle_wait, options_.max_idle_wait,
                  options_.idle_linger);
  double quiet_since = -1;  // monotonic time of the first idle poll, or -1
  while (outstanding_count_ > 0 ||
         (!draining_ && (scheduler_.Ready() > 0 || InitialRowsLeft()))) {
    bool active = CheckDrain();
    active = ReceiveMessages() || active;
    active = PollLocal() || active;
    active = Dispatch() || active;
    if (!draining_) {
      active = QueueMoreInitialTasks(options_.initial_queue_chunk) || active;
    }
    MaybeFlushAndSnapshot(false);
    progress_.Tick(clock_.Monotonic(), state_);
    if (active) {
      backoff.Reset();
      quiet_since = -1;
    } else {
      Wait(IdleWait(&backoff, &quiet_since));
    }
  }
  int exit_code = state_.ExitStatus();
  Finish(exit_code);
  return exit_code;
}

bool Master::ReceiveMessages() {
  bool active = false;
  while (std::optional<Envelope> envelope = transport_.Poll()) {
    active = true;
    switch (static_cast<MessageTag>(envelope->tag)) {
      case MessageTag::kStarted:
        DecodeInto(envelope->payload, &started_in_);
        HandleStarted(envelope->source, started_in_.tasks);
        break;
      case MessageTag::kFinished:
        DecodeInto(envelope->payload, &finished_in_);
        HandleFinished(envelope->source, finished_in_.results);
        break;
      default:
        throw ProtocolError("master got unexpected " + TagName(envelope->tag) +
                            " from rank " + std::to_string(envelope->source));
    }
  }
  return active;
}

// Every rank of a function task reports a start: the leader's is the one
// recorded.
void Master::HandleStarted(int rank, const std::vector<StartNotice>& notices) {
  for (const StartNotice& notice : notices) {
    if (notice.row >= outstanding_.size()) continue;
    const Outstanding& task = outstanding_[notice.row];
    if (task.reports_left == 0 || task.leader_rank != rank) continue;
    if (!multi_node_ranks_.empty()) RecordTaskNodes(notice);
    Record(RunState::StartedRecord(notice.row, notice.attempt, rank,
                                   rank_host_.at(rank), notice.start_time,
                                   spec_hashes_.Get(notice.row)));
  }
}

// Only multi-node tasks have an entry: a single-node start costs the
// caller's empty() check.
void Master::RecordTaskNodes(const StartNotice& notice) {
  auto ranks = multi_node_ranks_.find(notice.row);
  if (ranks == multi_node_ranks_.end()) return;
  Record(RunState::TaskNodesRecord(notice.row, notice.attempt,
                                   std::move(ranks->second)));
  multi_node_ranks_.erase(ranks);
}

// A task ends when every rank running it has reported; the first failure
// among them is its outcome.
void Master::HandleFinished(int rank, const std::vector<TaskResult>& results) {
  // One reading for the whole report: it may carry thousands of results.
  const double now = clock_.Monotonic();
  for (const TaskResult& result : results) {
    const uint32_t row = result.row;
    if (row >= outstanding_.size() || outstanding_[row].reports_left == 0) {
      throw ProtocolError("rank " + std::to_string(rank) +
                          " reported task row " + std::to_string(row) +
                          ", which is not running");
    }
    Outstanding& task = outstanding_[row];
    const TaskResult* outcome = &result;
    auto partial = partial_results_.find(row);
    if (partial != partial_results_.end()) {
      outcome = &KeepOutcome(&partial->second, result);
    } else if (task.reports_left > 1) {
      partial = partial_results_.emplace(row, result).first;
    }
    if (--task.reports_left > 0) continue;
    --outstanding_count_;
    // A multi-node attempt that ended without starting (a drain).
    if (!multi_node_ranks_.empty()) multi_node_ranks_.erase(row);
    if (!outcome->results.empty()) {
      Record(RunState::ResultsRecord(*outcome));
    }
    Record(RunState::EndedRecord(*outcome, task.leader_rank));
    FreeCores(*outcome, now);
    if (partial != partial_results_.end()) partial_results_.erase(partial);
    AfterEnd(row);
  }
}

// Folds one more member's report into `kept`: the first failure wins, and
// the attempt started when its first member did.
const TaskResult& Master::KeepOutcome(TaskResult* kept,
                                      const TaskResult& report) {
  if (kept->FinalState() == TaskState::kDone &&
      report.FinalState() != TaskState::kDone) {
    const double start = kept->start_time;
    *kept = report;
    kept->start_time = start;
  }
  return *kept;
}

bool Master::PollLocal() {
  if (!local_ || !local_->Poll()) return false;
  HandleStarted(0, local_->TakeStarted());
  HandleFinished(0, local_->TakeFinished());
  return true;
}

bool Master::Dispatch() {
  if (draining_) return false;
  std::vector<Placement> placements = scheduler_.Place(clock_.Monotonic());
  for (const Placement& placement : placements) {
    if (TooLateFor(placement.row)) {
      // Handing the resources straight back: the task stays PENDING for the
      // next allocation instead of being killed at the walltime.
      scheduler_.Release(placement.row, clock_.Monotonic());
      state_.SetReason(placement.row,
                       "not started: its est_runtime would end after the "
                       "walltime");
      continue;
    }
    Send(placement);
  }
  bool filled = !lanes_to_fill_.empty();
  for (size_t lane : std::exchange(lanes_to_fill_, {})) FillLane(lane);
  FlushOutbox();
  return !placements.empty() || filled;
}

bool Master::TooLateFor(uint32_t row) const {
  double runtime = state_.specs()[row].est_runtime;
  return runtime > 0 && clock_.Now() + runtime >
                            options_.walltime_end - options_.walltime_margin;
}

// Starts a drain once: on a signal, or when the walltime is near.
bool Master::CheckDrain() {
  if (draining_) return false;
  bool walltime =
      clock_.Now() >= options_.walltime_end - options_.walltime_margin;
  if (!walltime && !options_.drain_requested()) return false;
  std::cerr << "sortie: " << (walltime ? "walltime is near" : "asked to stop")
            << ": interrupting " << outstanding_count_
            << " running tasks and starting no more\n";
  draining_ = true;
  if (local_) local_->Interrupt();
  for (const ClusterNode& node : nodes_) {
    if (node.rank != 0) {
      transport_.SendMsg(node.rank, MessageTag::kDrain, DrainMsg{});
    }
  }
  return true;
}

// The journal is flushed before every snapshot, so run.h5 never claims more
// than the journal can prove after a crash.
void Master::MaybeFlushAndSnapshot(bool force) {
  double now = clock_.Monotonic();
  bool snapshot_due = options_.snapshot_interval > 0 &&
                      now - last_snapshot_ >= options_.snapshot_interval;
  bool flush_due = now - last_flush_ >= options_.journal_flush_interval;
  if (journal_.Pending() > 0 && (force || snapshot_due)) {
    journal_.Flush();
    last_flush_ = now;
  } else if (journal_.Pending() > 0 && flush_due) {
    // Between snapshots nothing waits for the disk: the records are durable
    // within about one flush interval either way.
    journal_.FlushSoon();
    last_flush_ = now;
  }
  if (force || snapshot_due) state_.info().written_at = clock_.Now();
  if (force) {
    snapshot_(state_.View());
  } else if (snapshot_due) {
    // A mid-run snapshot is a convenience (the journal holds the truth): a
    // full disk or a hiccup on a parallel file system must not end the run.
    try {
      snapshot_(state_.View());
    } catch (const std::exception& error) {
      std::cerr << "sortie: warning: snapshot not written: " << error.what()
                << "\n";
    }
  }
  if (force || snapshot_due) last_snapshot_ = clock_.Monotonic();
}

double Master::IdleWait(Backoff* backoff, double* quiet_since) const {
  const double now = clock_.Monotonic();
  if (*quiet_since < 0) *quiet_since = now;
  const double wait = backoff->Next();
  if (now - *quiet_since < options_.quiet_after) return wait;
  return std::max(wait, options_.quiet_wait);
}

void Master::Wait(double seconds) {
  if (local_ && local_->Running() > 0) {
    local_->Wait(seconds);
  } else {
    clock_.SleepFor(seconds);
  }
}

void Master::Finish(int exit_code) {
  state_.info().finished_at = clock_.Now();
  state_.info().exit_status = exit_code;
  JournalRecord finished;
  finished.type = JournalRecordType::kRunFinished;
  finished.time = state_.info().finished_at;
  finished.exit_code = exit_code;
  Record(finished);
  MaybeFlushAndSnapshot(true);
  progress_.Final(clock_.Monotonic(), state_);
  DismissWorkers(transport_, clock_, exit_code, "");
}

}  // namespace sortie
