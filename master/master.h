// The master loop: places tasks on nodes, hands them to the ranks serving
// those nodes, records what they report in the journal and RunState,
// snapshots run.h5, and shuts the workers down. Side effects go through
// Transport, Clock, JournalSink and a snapshot callback, so the loop is
// tested without MPI.
#pragma once

#include <functional>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>

#include "common/clock.h"
#include "common/prefault.h"
#include "common/transport.h"
#include "master/dependants.h"
#include "master/journal.h"
#include "master/lanes.h"
#include "master/progress.h"
#include "master/roster.h"
#include "master/run_state.h"
#include "master/scheduler.h"
#include "master/spec_hashes.h"
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
  /// Seconds of work queued on a worker behind each running single-node
  /// task (followers), so short tasks run back to back without waiting
  /// for the master; 0: no followers.
  double follow_budget = 0.02;
  /// Most followers behind one running task: enough that a worker running
  /// no-op functions (under a microsecond each) still has work queued for
  /// the milliseconds the master may take to see its report and refill.
  int max_followers = 4096;
  double min_idle_wait = 20e-6;
  /// Shortest waits kept up after any activity before backing off: a
  /// worker's reports on short tasks come within a few milliseconds.
  int idle_linger = 32;
  /// Longest sleep between polls when nothing happens: how late, at most,
  /// the master notices a worker's report after a quiet spell. Each wake-up
  /// costs tens of microseconds on a virtual machine; 100 a second keep an
  /// idle master under 1% of a core.
  double max_idle_wait = 10e-3;
  /// After this many seconds with nothing started, ended or received, the
  /// sleeps grow to quiet_wait: every task then running has run at least
  /// this long, so noticing its end up to quiet_wait late costs it at most
  /// quiet_wait / quiet_after of its time (5%), and the master watching
  /// long tasks wakes 20 times a second instead of 100.
  double quiet_after = 1.0;
  double quiet_wait = 50e-3;
  /// The run continues an earlier one (journal replayed into the state).
  bool resumed = false;
  /// True once the pilot was asked to stop (SIGTERM, SIGINT, SIGUSR1).
  std::function<bool()> drain_requested = [] { return false; };
  /// Epoch seconds when the allocation ends (+inf: unknown). The run drains
  /// `walltime_margin` seconds before it, and does not start a task whose
  /// est_runtime would take it past that point.
  double walltime_end = std::numeric_limits<double>::infinity();
  double walltime_margin = 60.0;
  /// Rows queued per loop round at the start when the order cannot depend
  /// on the rest (one shape class, one priority, no `after`): the first
  /// tasks go out before a million rows are queued.
  size_t initial_queue_chunk = 65536;
  /// The progress line (off unless an interval is given).
  ProgressOptions progress;
};

/// The scheduler's view of a task's request.
TaskShape ShapeOf(const TaskSpec& spec);

/// Runs a whole manifest to completion on the nodes of a roster.
class Master {
 public:
  /// `nodes` is the roster (every worker has said hello). `local` runs the
  /// tasks placed on rank 0's own node; null when rank 0 has no node.
  /// Everything passed in must outlive the master.
  Master(RunState& state, Transport& transport, Clock& clock,
         JournalSink& journal, SnapshotWriter snapshot, Executor* local,
         std::vector<ClusterNode> nodes, MasterOptions options);

  /// Runs until no task can run any more (or a drain ended the run) and
  /// every worker was told to stop; returns the run's exit status (0 all
  /// DONE, 1 some FAILED/TIMEOUT/SKIPPED, 4 incomplete: resume it).
  int Run();

 private:
  /// A placed task whose ranks have not all reported its end yet;
  /// reports_left is 0 for every other row.
  struct Outstanding {
    int32_t leader_rank = -1;
    int32_t reports_left = 0;
  };

  void QueueInitialTasks();
  /// Queues the next `most` rows not looked at yet; false when none was left.
  bool QueueMoreInitialTasks(size_t most);
  /// Rows the start has not looked at yet, while they are queued in chunks.
  bool InitialRowsLeft() const {
    return initial_next_ < state_.status().size();
  }
  void Enqueue(uint32_t row);
  void AfterEnd(uint32_t row);
  void SkipDependants(uint32_t row);
  void Record(const JournalRecord& record);
  bool CheckDrain();
  bool TooLateFor(uint32_t row) const;
  bool ReceiveMessages();
  void HandleStarted(int rank, const std::vector<StartNotice>& notices);
  void RecordTaskNodes(const StartNotice& notice);
  void HandleFinished(int rank, const std::vector<TaskResult>& results);
  bool PollLocal();
  bool Dispatch();
  void Send(const Placement& placement);
  void Track(uint32_t row, int32_t leader_rank, int members);
  void Deliver(int rank, const Assignment& assignment);
  void FlushOutbox();
  void FillLane(size_t lane);
  void FreeCores(const TaskResult& result, double now);
  static const TaskResult& KeepOutcome(TaskResult* kept,
                                       const TaskResult& report);
  TaskGroup GroupOf(const Placement& placement) const;
  void MaybeFlushAndSnapshot(bool force);
  void Wait(double seconds);
  double IdleWait(Backoff* backoff, double* quiet_since) const;
  void Finish(int exit_code);

  RunState& state_;
  Transport& transport_;
  Clock& clock_;
  JournalSink& journal_;
  SnapshotWriter snapshot_;
  Executor* local_;
  std::vector<ClusterNode> nodes_;
  MasterOptions options_;
  Scheduler scheduler_;
  /// rank -> its host's name (RunState interns it when a start is applied).
  std::unordered_map<int, std::string> rank_host_;
  /// By row: a flat array, not a map, since a run of short tasks tracks
  /// and forgets one per task.
  std::vector<Outstanding> outstanding_;
  size_t outstanding_count_ = 0;  ///< rows with reports_left > 0
  /// The ranks of each multi-node task placed and not yet started, leader
  /// first: journaled (kTaskNodes) just before its start.
  std::unordered_map<uint32_t, std::vector<int32_t>> multi_node_ranks_;
  /// What the ranks of a task with several members reported so far: the
  /// first failure among them, else the first report.
  std::unordered_map<uint32_t, TaskResult> partial_results_;
  Lanes lanes_;
  std::vector<size_t> lanes_to_fill_;
  std::vector<RuntimeEstimate> runtimes_;          ///< by shape class
  std::unordered_map<int, AssignEncoder> outbox_;  ///< by rank, sent per round
  /// Reports are decoded into these, reused from message to message.
  StartedMsg started_in_;
  FinishedMsg finished_in_;
  Dependants dependants_;
  SpecHashesAhead spec_hashes_;
  BackgroundPrefault events_prefault_;
  std::vector<uint32_t> waiting_on_;  ///< row -> prerequisites not yet DONE
  size_t initial_next_ = 0;           ///< first row not queued at the start
  bool draining_ = false;
  double last_flush_ = 0;
  double last_snapshot_ = 0;
  Progress progress_;
};

}  // namespace sortie
