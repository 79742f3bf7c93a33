// The master's picture of the run: every task's spec and status, the host
// table, the allocations and their nodes, events and notes, and run-wide
// facts. State changes only through Apply(record), both live (the master
// applies what it journals) and when a journal is replayed on resume, so
// both paths give the same state.
#pragma once

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "common/task.h"
#include "master/intern_table.h"
#include "master/journal.h"
#include "master/run_file.h"

namespace sortie {

/// Tasks and their states, owned by the master.
class RunState {
 public:
  /// Takes the manifest's tasks (all PENDING) and the run's facts; with
  /// `logs_dir`, command tasks get their default output files there.
  RunState(std::vector<TaskSpec> specs, RunInfo info,
           std::string logs_dir = {});

  /// Tasks in manifest order, as the manifest gives them: without the
  /// default output paths (FullSpec has those).
  const std::vector<TaskSpec>& specs() const { return specs_; }
  /// `row`'s spec as a task gets it: default output paths filled in.
  TaskSpec FullSpec(uint32_t row) const;
  /// FullSpec(row) without a copy where it equals the stored spec (a
  /// function task, or no logs directory); otherwise filled into `*scratch`.
  /// Valid until `*scratch` or the state changes.
  const TaskSpec& SpecToSend(uint32_t row, TaskSpec* scratch) const;
  /// Status of each task, parallel to specs().
  const std::vector<TaskStatus>& status() const { return status_; }
  /// Run-wide facts (root attributes of run.h5).
  RunInfo& info() { return info_; }
  /// Everything run.h5 is written from.
  RunView View() const {
    return RunView{info_,     specs_,
                   status_,   hosts_.strings(),
                   nodes_,    TaskNodeLists(task_nodes_, node_lists_.strings()),
                   notes_,    events_,
                   logs_dir_, allocations_};
  }
  /// Why `row` is where it is (e.g. not started before the walltime).
  void SetReason(uint32_t row, std::string reason) {
    notes_.Edit(row).reason = std::move(reason);
  }

  /// Index of `host` in the host table, adding it when new.
  int InternHost(const std::string& host) { return hosts_.Intern(host); }
  /// Host name for an index from InternHost.
  const std::string& HostName(int index) const {
    return hosts_.at(static_cast<size_t>(index));
  }

  /// Where the events still to be recorded will go: reserved, mostly not
  /// yet touched memory (see BackgroundPrefault). Valid until the next event.
  std::pair<void*, size_t> UnusedEventSpace() {
    return {events_.data() + events_.size(),
            (events_.capacity() - events_.size()) * sizeof(TaskEvent)};
  }

  /// A hash of everything in `row`'s spec that changes what it does; stored
  /// with each start so a resume notices an edited manifest.
  uint64_t SpecHash(uint32_t row) const;

  /// The record of attempt `attempt` of `row` starting on `rank`/`host`;
  /// `spec_hash` is SpecHash(row), taken by the caller (it may have it
  /// already, see SpecHashesAhead).
  static JournalRecord StartedRecord(uint32_t row, int32_t attempt, int rank,
                                     const std::string& host, double time,
                                     uint64_t spec_hash);
  /// The same, hashing the spec here.
  JournalRecord StartedRecord(uint32_t row, int32_t attempt, int rank,
                              const std::string& host, double time) const {
    return StartedRecord(row, attempt, rank, host, time, SpecHash(row));
  }
  /// The record of an attempt ending, as `rank` reported it; its text is the
  /// result's reason (a launch error), which Apply makes the task's reason.
  static JournalRecord EndedRecord(const TaskResult& result, int rank);
  /// The record of what an attempt reported (before its EndedRecord; only
  /// for a result with values).
  static JournalRecord ResultsRecord(const TaskResult& result);
  /// The record of `row` being skipped (it never runs) because of `reason`.
  static JournalRecord SkippedRecord(uint32_t row, std::string reason,
                                     double time);
  /// The record of the nodes of the allocation now starting, in the order
  /// the scheduler numbers them (written after its RunStarted/RunResumed).
  static JournalRecord AllocationNodesRecord(std::vector<NodeRecord> nodes);
  /// The record of the ranks serving the nodes of attempt `attempt` of a
  /// multi-node task, leader first (written just before its start).
  static JournalRecord TaskNodesRecord(uint32_t row, int32_t attempt,
                                       std::vector<int32_t> ranks);
  /// The ends, INTERRUPTED at `time` with kLostReason, of every attempt now
  /// RUNNING: after a replay, the attempts the run lost when it stopped
  /// without recording their end.
  std::vector<JournalRecord> LostAttemptRecords(double time) const;
  /// The latest time the current allocation recorded: its start, or its
  /// latest event. What a lost attempt's end and a stopped allocation's
  /// ended_at are set to.
  double LatestRecordedTime() const;

  /// Applies one journal record: a start makes the task RUNNING (and drops
  /// an earlier attempt's results) and sets its node_ids, from the
  /// kTaskNodes record just before it or else from the node its rank serves;
  /// results replace the task's; an end sets its outcome (a FAILED or
  /// TIMEOUT attempt with retries left puts it back to PENDING). A
  /// RunStarted or RunResumed opens an allocation (ending the one before
  /// at LatestRecordedTime if it never finished), kAllocationNodes adds its
  /// /nodes rows, RunFinished ends it. Records of rows beyond the manifest
  /// are ignored.
  void Apply(const JournalRecord& record);
  /// After a replay: tasks left RUNNING or INTERRUPTED are PENDING again,
  /// and with `retry_failed` so are FAILED, TIMEOUT and SKIPPED ones (with a
  /// fresh retry budget).
  void PrepareResume(bool retry_failed);
  /// Puts a DONE-or-otherwise task back to PENDING as if it never ran (a
  /// task whose spec changed, resumed with --force).
  void Reset(uint32_t row);

  /// Number of tasks now in `state`.
  size_t Count(TaskState state) const {
    return counts_[static_cast<size_t>(state)];
  }
  /// The run's exit status: 0 when every task is DONE, 4 when some never
  /// ended (PENDING, RUNNING or INTERRUPTED: resume the run), else 1.
  int ExitStatus() const;

 private:
  /// A multi-node attempt's node list (kTaskNodes), kept for its start.
  struct NextStartNodes {
    uint32_t row = 0;
    int32_t attempt = -1;  ///< -1: none waiting
    int32_t list = 0;      ///< index in node_lists_
  };

  void SetState(TaskStatus* status, TaskState state);
  void ApplyTaskRecord(const JournalRecord& record);
  void ApplyStarted(const JournalRecord& record);
  void ApplyEnded(const JournalRecord& record);
  void OpenAllocation(const JournalRecord& record);
  void ApplyAllocationNodes(const std::vector<NodeRecord>& nodes);
  void ApplyTaskNodes(const JournalRecord& record);
  /// The node list index of the current allocation's node served by `rank`
  /// (0, the empty list, when it serves none).
  int32_t NodeListOfRank(int32_t rank) const {
    const auto at = static_cast<size_t>(rank);
    return at < rank_lists_.size() ? rank_lists_[at] : 0;
  }

  std::vector<TaskSpec> specs_;
  std::vector<TaskStatus> status_;
  InternTable hosts_;
  std::vector<NodeRecord> nodes_;
  std::vector<AllocationRecord> allocations_;
  /// events_.size() when the current allocation opened.
  size_t allocation_first_event_ = 0;
  /// By rank, the node list ("ROW") of the node it serves in the current
  /// allocation: a single-node start costs one lookup.
  std::vector<int32_t> rank_lists_;
  NextStartNodes next_start_nodes_;
  /// Per task, its node list in node_lists_: 4 bytes a task, not a string's
  /// 32 (1,000,000 tasks name a handful of distinct lists).
  std::vector<int32_t> task_nodes_;
  InternTable node_lists_;
  TaskNotesTable notes_;
  std::vector<TaskEvent> events_;
  std::array<size_t, kTaskStateCount> counts_{};
  RunInfo info_;
  std::string logs_dir_;
};

/// Why a lost attempt ended: the run stopped (a crash, kill -9) before its
/// end was journaled, and the resume that found it RUNNING closed it.
inline constexpr const char* kLostReason =
    "lost: the run stopped before this attempt's end was recorded";

/// Exit status of a run that ended early (a drain or the walltime) or left
/// tasks unstarted: resume it.
inline constexpr int kIncompleteStatus = 4;

}  // namespace sortie
