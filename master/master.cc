#include "master/master.h"

#include <iostream>
#include <utility>

namespace sortie {

Master::Master(RunState& state, Transport& transport, Clock& clock,
               JournalSink& journal, SnapshotWriter snapshot, Executor* local,
               MasterOptions options)
    : state_(state),
      transport_(transport),
      clock_(clock),
      journal_(journal),
      snapshot_(std::move(snapshot)),
      local_(local),
      options_(std::move(options)),
      scheduler_(static_cast<uint32_t>(state.specs().size())) {
  if (local_) {
    rank_host_[0] = state_.InternHost(options_.host);
    scheduler_.AddRank(0, 1);
  }
}

int Master::Run() {
  JournalRecord started;
  started.type = JournalRecordType::kRunStarted;
  started.text = state_.info().manifest_path;
  started.sha256 = state_.info().manifest_sha256;
  started.count = state_.specs().size();
  started.rank = transport_.size();
  started.time = state_.info().started_at;
  Journal(started);
  last_flush_ = last_snapshot_ = clock_.Monotonic();

  Backoff backoff(options_.min_idle_wait, options_.max_idle_wait);
  while (!Done()) {
    bool active = ReceiveMessages();
    active = PollLocal() || active;
    active = Dispatch() || active;
    MaybeFlushAndSnapshot(false);
    if (active) {
      backoff.Reset();
    } else {
      Wait(backoff.Next());
    }
  }
  int exit_code = abandon_reason_.empty() ? state_.ExitStatus() : 2;
  Finish(exit_code);
  return exit_code;
}

// Done when nothing runs and nothing more will be placed, and every worker
// has said hello (so none is left talking to a master that has gone).
bool Master::Done() const {
  size_t workers = rank_host_.size() - (local_ ? 1 : 0);
  bool all_hello = workers + 1 == static_cast<size_t>(transport_.size());
  bool nothing_left = !abandon_reason_.empty() || state_.Unfinished() == 0;
  return running_ == 0 && nothing_left && all_hello;
}

bool Master::ReceiveMessages() {
  bool active = false;
  while (std::optional<Envelope> envelope = transport_.Poll()) {
    active = true;
    switch (static_cast<MessageTag>(envelope->tag)) {
      case MessageTag::kHello:
        HandleHello(*envelope);
        break;
      case MessageTag::kStarted:
        HandleStarted(envelope->source,
                      Decode<StartedMsg>(envelope->payload));
        break;
      case MessageTag::kFinished:
        HandleFinished(envelope->source,
                       Decode<FinishedMsg>(envelope->payload).results);
        break;
      default:
        throw ProtocolError("master got unexpected " +
                            TagName(envelope->tag) + " from rank " +
                            std::to_string(envelope->source));
    }
  }
  return active;
}

void Master::HandleHello(const Envelope& envelope) {
  HelloMsg hello = Decode<HelloMsg>(envelope.payload);
  rank_host_[envelope.source] = state_.InternHost(hello.host);
  if (hello.protocol_version != kProtocolVersion) {
    abandon_reason_ = "rank " + std::to_string(envelope.source) +
                      " speaks protocol version " +
                      std::to_string(hello.protocol_version) + ", rank 0 " +
                      std::to_string(kProtocolVersion) +
                      ": are all ranks running the same sortie binary?";
    std::cerr << "sortie: " << abandon_reason_ << "\n";
    return;
  }
  scheduler_.AddRank(envelope.source, 1);
}

void Master::HandleStarted(int rank, const StartedMsg& msg) {
  int host = rank_host_.at(rank);
  for (const StartNotice& notice : msg.tasks) {
    Journal(state_.MarkStarted(notice.row, notice.attempt, rank, host,
                               notice.start_time));
  }
}

void Master::HandleFinished(int rank, const std::vector<TaskResult>& results) {
  int host = rank_host_.at(rank);
  for (const TaskResult& result : results) {
    Journal(state_.MarkEnded(result, rank, host));
    scheduler_.Release(rank);
    --running_;
  }
}

bool Master::PollLocal() {
  if (!local_ || !local_->Poll()) return false;
  HandleStarted(0, StartedMsg{local_->TakeStarted()});
  HandleFinished(0, local_->TakeFinished());
  return true;
}

bool Master::Dispatch() {
  if (!abandon_reason_.empty()) return false;
  std::vector<Placement> placements = scheduler_.Place();
  std::map<int, AssignMsg> batches;
  for (const Placement& placement : placements) {
    Assignment assignment{placement.row, 1, state_.specs()[placement.row]};
    ++running_;
    if (placement.rank == 0 && local_) {
      local_->Start(assignment);
    } else {
      batches[placement.rank].tasks.push_back(std::move(assignment));
    }
  }
  for (const auto& [rank, batch] : batches) {
    transport_.SendMsg(rank, MessageTag::kAssign, batch);
  }
  return !placements.empty();
}

void Master::Journal(const JournalRecord& record) { journal_.Append(record); }

void Master::MaybeFlushAndSnapshot(bool force) {
  double now = clock_.Monotonic();
  if (journal_.Pending() > 0 &&
      (force || now - last_flush_ >= options_.journal_flush_interval)) {
    journal_.Flush();
    last_flush_ = now;
  }
  bool snapshot_due = options_.snapshot_interval > 0 &&
                      now - last_snapshot_ >= options_.snapshot_interval;
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

void Master::Wait(double seconds) {
  if (local_ && local_->Running() > 0) {
    local_->Wait(seconds);
  } else {
    clock_.SleepFor(seconds);
  }
}

void Master::Finish(int exit_code) {
  state_.info().finished_at = clock_.Now();
  JournalRecord finished;
  finished.type = JournalRecordType::kRunFinished;
  finished.time = state_.info().finished_at;
  finished.exit_code = exit_code;
  Journal(finished);
  MaybeFlushAndSnapshot(true);
  for (int rank = 1; rank < transport_.size(); ++rank) {
    transport_.SendMsg(rank, MessageTag::kShutdown,
                       ShutdownMsg{exit_code, abandon_reason_});
  }
  Backoff backoff(options_.min_idle_wait, options_.max_idle_wait);
  while (!transport_.Flushed()) clock_.SleepFor(backoff.Next());
}

}  // namespace sortie
