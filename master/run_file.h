// Writing run.h5 (schema version 1, see docs/hdf5.md) from the master's state.
// The file is written under a temporary name, closed and renamed into place,
// so the RUN.h5 on disk is always a complete, closed file.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/task.h"
#include "master/allocation.h"

namespace sortie {

/// Version of the run.h5 layout written by this build.
inline constexpr int kRunFileSchemaVersion = 1;

/// Run-wide facts stored as root attributes.
struct RunInfo {
  std::string sortie_version;
  std::string manifest_path;
  std::string manifest_sha256;
  std::string mpi_library;
  int world_size = 1;
  double started_at = kNoTime;
  double finished_at = kNoTime;  ///< NaN in snapshots taken mid-run
  /// The run's own exit status (docs/running.md); -1 until it finished.
  /// Kept because launchers do not always pass it on (pmodels/mpich#7057).
  int exit_status = -1;
  /// When the file was written: what a snapshot taken mid-run shows is as
  /// of then. NaN when unknown (files written before this attribute).
  double written_at = kNoTime;
};

/// One transition of one attempt (a row of /events).
struct TaskEvent {
  uint32_t row = 0;
  int32_t attempt = 0;
  double time = kNoTime;
  /// kRunning for "STARTED"; otherwise the state the attempt ended in
  /// (DONE, FAILED, TIMEOUT, SKIPPED, INTERRUPTED).
  TaskState state = TaskState::kRunning;
  int32_t rank = -1;
};

/// What a task left behind besides its state: the ends of its output and
/// its results (both from its latest attempt) and, for a task that never
/// ran or could not start, why.
struct TaskNotes {
  std::string stdout_tail;
  std::string stderr_tail;
  std::string reason;
  /// Rows of /results for this task, in key order.
  std::vector<ResultValue> results = {};  // = {}: brace-init may omit it

  /// True when there is nothing to keep.
  bool empty() const {
    return stdout_tail.empty() && stderr_tail.empty() && reason.empty() &&
           results.empty();
  }
};

/// TaskNotes by row, kept out of line and only for tasks that have any:
/// most tasks of a large run end with empty tails, no results and no reason,
/// and then cost 8 bytes here instead of 120.
class TaskNotesTable {
 public:
  /// `rows` tasks, none with notes.
  explicit TaskNotesTable(size_t rows = 0) : rows_(rows) {}
  /// One entry per row, as given (empty ones are not stored).
  explicit TaskNotesTable(const std::vector<TaskNotes>& notes);

  /// Number of rows.
  size_t size() const { return rows_.size(); }
  /// `row`'s notes; empty notes when it has none.
  const TaskNotes& operator[](size_t row) const;
  /// True when `row` has notes (after Compact, only non-empty ones are
  /// kept): the check made for every task that ends, inline.
  bool Has(size_t row) const { return rows_[row].get() != nullptr; }
  /// `row`'s notes, for changing them (made on first use).
  TaskNotes& Edit(size_t row) { return rows_.at(row).GetOrMake(); }
  /// Frees `row`'s block when its notes became empty.
  void Compact(size_t row);

 private:
  std::vector<HeapBox<TaskNotes>> rows_;
};

/// Per task, the /nodes rows its latest started attempt ran on, as "0,3,4"
/// ("" when it never started), as RunState keeps them: an index per task into a
/// table of the distinct lists. Borrowed.
class TaskNodeLists {
 public:
  /// Task i's list is table[index[i]].
  TaskNodeLists(const std::vector<int32_t>& index,
                const std::vector<std::string>& table)
      : index_(&index), table_(&table) {}
  /// Number of tasks.
  size_t size() const { return index_->size(); }
  /// Task i's list.
  const std::string& operator[](size_t i) const {
    return (*table_)[static_cast<size_t>((*index_)[i])];
  }

 private:
  const std::vector<int32_t>* index_;
  const std::vector<std::string>* table_;
};

/// Everything run.h5 is made from; borrowed, not owned.
struct RunView {
  const RunInfo& info;
  const std::vector<TaskSpec>& specs;
  const std::vector<TaskStatus>& status;  ///< same length as specs
  const std::vector<std::string>& hosts;  ///< TaskStatus::host indexes this
  /// Rows of /nodes: every allocation's nodes, the first allocation's first.
  const std::vector<NodeRecord>& nodes;
  /// Per task (same length as specs).
  TaskNodeLists task_nodes;
  /// Per task (same length as specs).
  const TaskNotesTable& notes;
  /// Every transition of the run (all attempts, across resumes), in order.
  const std::vector<TaskEvent>& events;
  /// When set, specs hold only the manifest's own output paths and the
  /// defaults are derived from this directory (DefaultOutputPath).
  std::string_view logs_dir = {};
  /// Rows of /allocations, in order.
  std::span<const AllocationRecord> allocations = {};
};

/// The columns of /tasks made from the task specs alone (id, command,
/// resources, output paths, ...), packed ready to store. They never change
/// during a run, so they are packed once and every snapshot reuses them.
struct SpecColumns;

/// Packs the spec columns of `specs`, with default output paths derived
/// from `logs_dir` as RunView::logs_dir says. Makes no HDF5 call and reads
/// nothing else, so it may run on another thread while the run goes on.
/// Reads each spec once for all columns. `parallel`: compress on this
/// thread and one more rather than on this one alone.
std::shared_ptr<const SpecColumns> PackSpecColumns(
    const std::vector<TaskSpec>& specs, std::string_view logs_dir,
    bool parallel);

/// Writes `view` to `path` atomically (via `path` + ".tmp" and rename).
/// `spec_columns`, when given, must come from PackSpecColumns of the same
/// specs and logs directory; otherwise they are packed here. Throws
/// std::runtime_error naming the file and the failing HDF5 call.
void WriteRunFile(const std::string& path, const RunView& view,
                  const SpecColumns* spec_columns = nullptr);

}  // namespace sortie
