// What the run.h5 writer's tests share: the schema's column lists, sample
// runs to write (run_file_sample_runs.cc), and ways to read a written file
// back and check it, through the HDF5 C API or /usr/bin/python3
// (run_file_readers.cc). In a namespace of its own, since its RunData is not
// master/run_data.h's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/h5.h"
#include "master/intern_table.h"
#include "master/run_file.h"
#include "test_dir.h"

namespace sortie::run_file_testing {

/// The /tasks columns, in the order of its `columns` attribute.
// clang-format off
inline const std::vector<std::string> kColumns = {
    "id", "state", "exit_code", "signal", "attempts", "start_time",
    "end_time", "rank", "host", "stdout", "stderr", "command", "tags",
    "nodes", "ranks_per_node", "cores_per_rank", "gpus_per_rank",
    "node_ids", "priority", "est_runtime", "function", "reason"};
// clang-format on
/// The datasets of /tasks that are not columns: each blob is stored as
/// NAME_blob (the bytes) and NAME_offsets (rows + 1 entries).
inline const std::vector<std::string> kBlobs = {"stdout_tail", "stderr_tail"};
/// The /events columns, in order.
inline const std::vector<std::string> kEventColumns = {"task", "attempt",
                                                       "time", "event", "rank"};
/// The /nodes columns, in order.
inline const std::vector<std::string> kNodeColumns = {"rank", "host", "cores",
                                                      "gpus", "allocation"};
/// The /allocations columns, in order.
inline const std::vector<std::string> kAllocationColumns = {
    "started_at", "ended_at", "ranks", "nodes"};

/// A fresh, empty directory for one test.
inline std::filesystem::path TestDir() { return FreshTestDir("run_file_test"); }

/// Owns what a RunView borrows.
struct RunData {
  RunInfo info;
  std::vector<TaskSpec> specs;
  std::vector<TaskStatus> status;
  std::vector<std::string> hosts;
  std::vector<NodeRecord> nodes;
  std::vector<std::string> task_nodes;
  std::vector<TaskNotes> notes;
  std::vector<TaskEvent> events;
  std::vector<AllocationRecord> allocations;
  mutable TaskNotesTable notes_table;       ///< what View() lends of `notes`
  mutable std::vector<int32_t> node_index;  ///< and of `task_nodes`, as
  mutable InternTable node_table;           ///< RunState keeps them
  /// A view of this run, valid until the next View() or until it changes.
  RunView View() const {
    notes_table = TaskNotesTable(notes);
    node_table = InternTable();
    node_index.clear();
    for (const std::string& list : task_nodes) {
      node_index.push_back(node_table.Intern(list));
    }
    return RunView{info,        specs,
                   status,      hosts,
                   nodes,       TaskNodeLists(node_index, node_table.strings()),
                   notes_table, events,
                   {},          allocations};
  }
};

// Sample runs (run_file_sample_runs.cc).

/// A task `id` running `command`, its output in /scratch/out/ID.{out,err}.
TaskSpec Spec(std::string id, std::vector<std::string> command, bool shell);

/// A status with these fields, the rest defaulted.
TaskStatus Status(TaskState state, int32_t exit_code, int32_t signal,
                  int32_t attempts, int32_t rank, int32_t host, double start,
                  double end);

/// An /events row.
TaskEvent Event(uint32_t row, int32_t attempt, double time, TaskState state,
                int32_t rank);

/// `size` bytes of output as tasks leave it: NULs, bytes that are not UTF-8
/// and, since a tail starts mid-file, the last two bytes of a three-byte
/// character.
std::string AwkwardTail(size_t size);

/// One task in each state (FAILED twice: by exit code and by signal), UTF-8
/// ids, host -1 and real host indices, NaN times; a multi-node task, a
/// function task, and three nodes. Tails: empty, UTF-8, NULs, invalid UTF-8,
/// full 4 KiB; events: retries, a timeout and a drain along the way.
RunData SampleRun();

/// The lifecycle this milestone adds, on two 8-core nodes: retries of a
/// FAILED task, a SKIPPED dependant, TIMEOUTs, a DONE task that was
/// INTERRUPTED once and rerun after a resume, one still INTERRUPTED, and a
/// launch error whose reason names a Latin-1 path (not UTF-8).
RunData LifecycleRun();

/// "first,first+1,..." for `count` nodes, as RunView::task_nodes has them.
std::string NodeList(size_t first, size_t count);

/// `rows` tasks whose every column differs row to row; row `wide_row` has a
/// 1000-byte command so the command column has small chunks. Tails of up to
/// 1.5 KB on every 97th row span many blob chunks; every started task has a
/// STARTED event and every ended one an end event.
RunData ManyTasks(size_t rows, size_t wide_row);

/// Two 8-core nodes; node 0 is full (8 cores) from 1005 to 1010, node 1
/// peaks at 6. With `crowd`, one more core on node 0 overfills it.
RunData BusyRun(bool crowd);

// Reading a run file back (run_file_readers.cc); `group` is "tasks",
// "nodes", "events" or "results".

/// Column `name` of `group` as strings.
std::vector<std::string> StringColumn(hid_t file, const std::string& name,
                                      const std::string& group = "tasks");

/// Column `name` of `group` as int32s.
std::vector<int32_t> Int32Column(hid_t file, const std::string& name,
                                 const std::string& group = "tasks");

/// Column `name` of `group` as doubles.
std::vector<double> Float64Column(hid_t file, const std::string& name,
                                  const std::string& group = "tasks");

/// The NAME_offsets dataset of blob `blob` ("stdout_tail", "stderr_tail").
std::vector<int64_t> Offsets(hid_t file, const std::string& blob);

/// The NAME_blob dataset of blob `blob`: every task's bytes back to back.
std::string BlobBytes(hid_t file, const std::string& blob);

/// Every task's value of `blob` ("stdout_tail", "stderr_tail"), cut out of
/// NAME_blob by NAME_offsets as a reader would.
std::vector<std::string> BlobValues(hid_t file, const std::string& blob);

/// The /events columns match `events` row for row.
void ExpectEventsMatch(hid_t file, const std::vector<TaskEvent>& events);

/// Every /tasks column, both blobs and /events match `run`, computed field
/// by field.
void ExpectColumnsMatch(hid_t file, const RunData& run);

/// The stored type of column `column` of `group`.
H5Type DatasetType(hid_t file, const std::string& column,
                   const std::string& group = "tasks");

/// Rows of column `column` of `group`, which must be 1-D.
hsize_t Rows(hid_t file, const std::string& column,
             const std::string& group = "tasks");

/// Rows per chunk of a column, 0 when it is not chunked.
hsize_t ChunkRows(hid_t file, const std::string& column,
                  const std::string& group = "tasks");

/// `text` single-quoted for /bin/sh.
std::string ShellQuote(const std::string& text);

/// How a shell command ended and what it printed.
struct CommandResult {
  int exit_status;
  std::string output;
};

/// Runs `command` under /bin/sh with stderr joined to stdout; exit status
/// -1 when it could not run or did not exit.
CommandResult RunCommand(const std::string& command);

/// /usr/bin/python3 can import h5py and pandas.
bool PythonHasH5py();

}  // namespace sortie::run_file_testing
