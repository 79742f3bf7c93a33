// The master loop: hands tasks to ranks, records what they report in the
// journal and RunState, snapshots run.h5, and shuts the workers down. All side
// effects go through Transport, Clock, JournalSink and a snapshot callback, so
// the loop is tested without MPI.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "common/clock.h"
#include "common/transport.h"
#include "master/journal.h"
#include "master/run_state.h"
#include "master/scheduler.h"
#include "worker/executor.h"

namespace sortie {

/// Writes run.h5 from a view of the run (WriteRunFile in production).
using SnapshotWriter = std::function<void(const RunView&)>;

/// Pacing of the master's side effects.
struct MasterOptions {
  /// Seconds between run.h5 snapshots during the run (<= 0: only at the end).
  double snapshot_interval = 30.0;
  /// Longest time a journal record waits before it is fdatasync'ed.
  double journal_flush_interval = 0.05;
  double min_idle_wait = 20e-6;
  double max_idle_wait = 4e-3;
  /// Host name of rank 0, for tasks it runs itself.
  std::string host = "localhost";
};

/// Runs a whole manifest to completion on the ranks behind a transport.
class Master {
 public:
  /// `local` runs tasks on rank 0 itself (used when it is the only rank);
  /// may be null. Everything passed in must outlive the master.
  Master(RunState& state, Transport& transport, Clock& clock,
         JournalSink& journal, SnapshotWriter snapshot, Executor* local,
         MasterOptions options);

  /// Runs until every task ended and every worker was told to stop; returns
  /// the run's exit status (0 all DONE, 1 otherwise, 2 when the run had to be
  /// abandoned, e.g. a worker speaking another protocol version).
  int Run();

 private:
  bool ReceiveMessages();
  void HandleHello(const Envelope& envelope);
  void HandleStarted(int rank, const StartedMsg& msg);
  void HandleFinished(int rank, const std::vector<TaskResult>& results);
  bool PollLocal();
  bool Dispatch();
  void Journal(const JournalRecord& record);
  void MaybeFlushAndSnapshot(bool force);
  void Wait(double seconds);
  void Finish(int exit_code);
  bool Done() const;

  RunState& state_;
  Transport& transport_;
  Clock& clock_;
  JournalSink& journal_;
  SnapshotWriter snapshot_;
  Executor* local_;
  MasterOptions options_;
  Scheduler scheduler_;
  std::map<int, int> rank_host_;  ///< ranks that said hello -> host index
  int running_ = 0;
  std::string abandon_reason_;
  double last_flush_ = 0;
  double last_snapshot_ = 0;
};

}  // namespace sortie
