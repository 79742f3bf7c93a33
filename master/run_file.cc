#include "master/run_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "common/h5.h"
#include "master/run_file_columns.h"
#include "master/run_file_nodes.h"
#include "master/run_file_results.h"
#include "master/run_file_spec.h"

namespace sortie {

TaskNotesTable::TaskNotesTable(const std::vector<TaskNotes>& notes)
    : rows_(notes.size()) {
  for (size_t row = 0; row < notes.size(); ++row) {
    if (!notes[row].empty()) rows_[row].GetOrMake() = notes[row];
  }
}

const TaskNotes& TaskNotesTable::operator[](size_t row) const {
  static const TaskNotes kNone;
  const TaskNotes* notes = rows_.at(row).get();
  return notes ? *notes : kNone;
}

void TaskNotesTable::Compact(size_t row) {
  const TaskNotes* notes = rows_.at(row).get();
  if (notes && notes->empty()) rows_[row].reset();
}
namespace {

using run_file_internal::ColumnJob;
using run_file_internal::ColumnJobs;
using run_file_internal::PackColumns;
using run_file_internal::PackedColumn;
using run_file_internal::PackedColumns;
using run_file_internal::Table;
using run_file_internal::WriteBlobColumn;
using run_file_internal::WritePackedColumn;

/// Column names of /tasks in schema order (also the `columns` attribute).
/// Columns added within schema version 1 go at the end.
const std::vector<std::string>& TaskColumnNames() {
  // clang-format off
  static const std::vector<std::string> names = {
      "id", "state", "exit_code", "signal", "attempts", "start_time",
      "end_time", "rank", "host", "stdout", "stderr", "command", "tags",
      "nodes", "ranks_per_node", "cores_per_rank", "gpus_per_rank",
      "node_ids", "priority", "est_runtime", "function", "reason"};
  // clang-format on
  return names;
}

/// Per-task texts of /tasks stored as `<name>_blob` + `<name>_offsets`
/// (the `blobs` attribute): long, mostly empty, not columns of their own.
const std::vector<std::string>& TaskBlobNames() {
  static const std::vector<std::string> names = {"stdout_tail", "stderr_tail"};
  return names;
}

/// Column names of /events in schema order.
const std::vector<std::string>& EventColumnNames() {
  static const std::vector<std::string> names = {"task", "attempt", "time",
                                                 "event", "rank"};
  return names;
}

constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // U+2026, UTF-8

// `reason` cut to kReasonMaxBytes, ending in "…" when cut; the cut backs off
// over UTF-8 continuation bytes so it never splits a character.
std::string FitReason(std::string_view reason) {
  if (reason.size() <= kReasonMaxBytes) return std::string(reason);
  size_t cut = kReasonMaxBytes - kEllipsis.size();
  const auto continues = [&](size_t at) {
    return (static_cast<unsigned char>(reason[at]) & 0xC0u) == 0x80u;
  };
  for (int step = 0; step < 3 && continues(cut); ++step) --cut;
  std::string fitted(reason.substr(0, cut));
  fitted += kEllipsis;
  return fitted;
}

// What an event is called in /events: an attempt either started or ended.
std::string_view EventName(TaskState state) {
  return state == TaskState::kRunning ? "STARTED" : StateName(state);
}

// The ends of what tasks wrote (blobs, see WriteBlobColumn).
void WriteTaskNotes(const Table& table, const RunView& view) {
  const auto& notes = view.notes;
  WriteAttribute(table.group, "blobs", TaskBlobNames());
  WriteBlobColumn(table, "stdout_tail", [&](size_t i) -> std::string_view {
    return notes[i].stdout_tail;
  });
  WriteBlobColumn(table, "stderr_tail", [&](size_t i) -> std::string_view {
    return notes[i].stderr_tail;
  });
}

// Jobs for every /events column, named "events/<column>".
void AddEventColumnJobs(const std::vector<TaskEvent>& events,
                        std::vector<ColumnJob>* jobs) {
  ColumnJobs add(jobs, "events/", events.size());
  add.Int32("task", [&events](size_t i) {
    return static_cast<int32_t>(events[i].row);
  });
  add.Int32("attempt", [&events](size_t i) { return events[i].attempt; });
  add.Float64("time", [&events](size_t i) { return events[i].time; });
  add.String("event", H5T_CSET_ASCII, kStateNameWidth,
             [&events](size_t i) { return EventName(events[i].state); });
  add.Int32("rank", [&events](size_t i) { return events[i].rank; });
}

void WriteEventColumns(const Table& table, const PackedColumns& packed) {
  for (const std::string& name : EventColumnNames()) {
    WritePackedColumn(table, name.c_str(), packed.Get("events/" + name));
  }
}

// Jobs for the /tasks columns that change while the run goes on, named
// "tasks/<column>".
void AddStatusColumnJobs(const RunView& view, std::vector<ColumnJob>* jobs) {
  ColumnJobs add(jobs, "tasks/", view.specs.size());
  const auto& status = view.status;
  add.String("state", H5T_CSET_ASCII, kStateNameWidth,
             [&status](size_t i) { return StateName(status[i].state); });
  add.Int32("exit_code", [&status](size_t i) { return status[i].exit_code; });
  add.Int32("signal", [&status](size_t i) { return status[i].signal; });
  add.Int32("attempts", [&status](size_t i) { return status[i].attempts; });
  add.Float64("start_time",
              [&status](size_t i) { return status[i].start_time; });
  add.Float64("end_time", [&status](size_t i) { return status[i].end_time; });
  add.Int32("rank", [&status](size_t i) { return status[i].rank; });
  add.Text(
      "host", [&status, &hosts = view.hosts](size_t i) -> std::string_view {
        const int32_t host = status[i].host;
        return host < 0 ? std::string_view() : hosts[static_cast<size_t>(host)];
      });
  // Where the latest attempt ran: the one resource column not from the spec.
  add.Text("node_ids",
           [&nodes = view.task_nodes](size_t i) -> const std::string& {
             return nodes[i];
           });
  add.Text("reason", [&notes = view.notes](size_t i) {
    return FitReason(notes[i].reason);
  });
}

// Schema order: the spec's columns and the others, packed already.
void WriteTaskColumns(const Table& table, const RunView& view,
                      const SpecColumns& spec, const PackedColumns& packed) {
  for (const std::string& name : TaskColumnNames()) {
    const PackedColumn* column = spec.Find(name);
    WritePackedColumn(table, name.c_str(),
                      column ? *column : packed.Get("tasks/" + name));
  }
  WriteTaskNotes(table, view);
}

void WriteRootAttributes(hid_t file, const RunInfo& info) {
  WriteAttribute(file, "schema_version", int32_t{kRunFileSchemaVersion});
  WriteAttribute(file, "sortie_version", info.sortie_version);
  WriteAttribute(file, "manifest", info.manifest_path);
  WriteAttribute(file, "manifest_sha256", info.manifest_sha256);
  WriteAttribute(file, "mpi_library", info.mpi_library);
  WriteAttribute(file, "world_size", int32_t{info.world_size});
  WriteAttribute(file, "started_at", info.started_at);
  WriteAttribute(file, "finished_at", info.finished_at);
  // Absent when unknown, as in files older than the attribute.
  if (std::isfinite(info.written_at)) {
    WriteAttribute(file, "written_at", info.written_at);
  }
  WriteAttribute(file, "exit_status", int32_t{info.exit_status});
}

// Creates group /`name` with its `columns` attribute and lets
// `write_columns` fill it with `rows`-row columns.
template <class WriteColumns>
void WriteGroup(hid_t file, const char* name, const std::string& file_name,
                size_t rows, const std::vector<std::string>& columns,
                WriteColumns write_columns) {
  const std::string path = std::string("/") + name;
  const std::string doing = "creating group " + path + " in " + file_name;
  H5Group group(
      H5Check(H5Gcreate2(file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
              "H5Gcreate2", doing));
  WriteAttribute(group.get(), "columns", columns);
  write_columns(Table{group.get(), path, file_name, rows});
  group.Close(doing);
}

// Everything but the rename: a complete, closed HDF5 file at `file_name`.
void WriteHdf5File(const std::string& file_name, const RunView& view,
                   const SpecColumns& spec) {
  // The big columns first, for the two packing threads to share evenly.
  std::vector<ColumnJob> jobs;
  AddEventColumnJobs(view.events, &jobs);
  AddStatusColumnJobs(view, &jobs);
  const PackedColumns packed = PackColumns(std::move(jobs));
  const H5Plist fapl = MakeFileAccessPlist();
  H5File file(H5Check(
      H5Fcreate(file_name.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()),
      "H5Fcreate", "creating " + file_name));
  WriteRootAttributes(file.get(), view.info);
  WriteGroup(
      file.get(), "tasks", file_name, view.specs.size(), TaskColumnNames(),
      [&](const Table& table) { WriteTaskColumns(table, view, spec, packed); });
  WriteGroup(file.get(), "nodes", file_name, view.nodes.size(),
             run_file_internal::NodeColumnNames(), [&](const Table& table) {
               run_file_internal::WriteNodeColumns(table, view.nodes);
             });
  WriteGroup(
      file.get(), "allocations", file_name, view.allocations.size(),
      run_file_internal::AllocationColumnNames(), [&](const Table& table) {
        run_file_internal::WriteAllocationColumns(table, view.allocations);
      });
  WriteGroup(file.get(), "events", file_name, view.events.size(),
             EventColumnNames(),
             [&](const Table& table) { WriteEventColumns(table, packed); });
  // Written even when empty, so readers need no special case.
  WriteGroup(file.get(), "results", file_name,
             run_file_internal::ResultRowCount(view),
             run_file_internal::ResultColumnNames(), [&](const Table& table) {
               run_file_internal::WriteResultColumns(table, view);
             });
  file.Close("closing " + file_name);
}

// Whether `text` is "" or a comma-separated list of /nodes rows below
// `node_count`, such as "0,3,4".
bool IsNodeList(std::string_view text, size_t node_count) {
  if (text.empty()) return true;
  size_t row = 0;
  size_t digits = 0;
  for (char c : text) {
    if (c == ',') {
      if (digits == 0) return false;
      row = 0;
      digits = 0;
    } else if (c >= '0' && c <= '9') {
      row = row * 10 + static_cast<size_t>(c - '0');
      if (++digits > 9 || row >= node_count) return false;
    } else {
      return false;
    }
  }
  return digits > 0;
}

// Every per-task vector has one entry per task.
void CheckLengths(const RunView& view) {
  const size_t tasks = view.specs.size();
  if (view.status.size() != tasks || view.task_nodes.size() != tasks ||
      view.notes.size() != tasks) {
    throw std::runtime_error(
        "run.h5: " + std::to_string(view.status.size()) + " statuses, " +
        std::to_string(view.task_nodes.size()) + " node lists and " +
        std::to_string(view.notes.size()) + " notes for " +
        std::to_string(tasks) + " tasks");
  }
}

// Node lists and host indices point at rows that exist.
void CheckPlacements(const RunView& view) {
  for (size_t i = 0; i < view.task_nodes.size(); ++i) {
    if (!IsNodeList(view.task_nodes[i], view.nodes.size())) {
      throw std::runtime_error("run.h5: task '" + view.specs[i].id +
                               "' ran on nodes \"" + view.task_nodes[i] +
                               "\": not a comma-separated list of /nodes "
                               "rows below " +
                               std::to_string(view.nodes.size()));
    }
  }
  for (size_t i = 0; i < view.status.size(); ++i) {
    const int32_t host = view.status[i].host;
    if (host < -1 ||
        (host >= 0 && static_cast<size_t>(host) >= view.hosts.size())) {
      throw std::runtime_error("run.h5: task '" + view.specs[i].id +
                               "' has host index " + std::to_string(host) +
                               " but the run knows " +
                               std::to_string(view.hosts.size()) + " hosts");
    }
  }
}

// Events name a task row and a transition: a start or an end, never PENDING.
void CheckEvents(const RunView& view) {
  for (size_t i = 0; i < view.events.size(); ++i) {
    const TaskEvent& event = view.events[i];
    if (event.row >= view.specs.size()) {
      throw std::runtime_error("run.h5: event " + std::to_string(i) +
                               " names task row " + std::to_string(event.row) +
                               " but the run has " +
                               std::to_string(view.specs.size()) + " tasks");
    }
    const auto state = static_cast<size_t>(event.state);
    if (event.state == TaskState::kPending || state >= kTaskStateCount) {
      throw std::runtime_error("run.h5: event " + std::to_string(i) +
                               " of task '" + view.specs[event.row].id +
                               "' has state " + std::to_string(state) +
                               ", not a start or an end");
    }
  }
}

// Rejects views that would make a wrong file, before anything is written.
void CheckView(const RunView& view) {
  CheckLengths(view);
  CheckPlacements(view);
  CheckEvents(view);
}

// Flushes `path` (a file or directory) to stable storage.
int SyncPath(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return errno;
  const int result = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return result;
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The data must be on disk before the rename makes it RUN.h5, or a crash
// could leave a RUN.h5 that names unwritten blocks.
void PublishFile(const std::string& tmp, const std::string& path) {
  if (const int error = SyncPath(tmp, O_RDONLY)) {
    throw std::system_error(error, std::generic_category(),
                            "run.h5: fsync " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    throw std::system_error(errno, std::generic_category(),
                            "run.h5: rename " + tmp + " to " + path);
  }
  // Best effort: makes the rename itself durable; not every file system
  // supports fsync on a directory, and the file is complete either way.
  (void)SyncPath(DirectoryOf(path), O_RDONLY | O_DIRECTORY);
}

}  // namespace

void WriteRunFile(const std::string& path, const RunView& view,
                  const SpecColumns* spec_columns) {
  CheckView(view);
  std::shared_ptr<const SpecColumns> packed_here;
  if (spec_columns == nullptr) {
    packed_here = PackSpecColumns(view.specs, view.logs_dir, true);
    spec_columns = packed_here.get();
  }
  if (spec_columns->columns.empty() ||
      spec_columns->columns.front().second.rows != view.specs.size()) {
    throw std::logic_error("run.h5: spec columns packed for other tasks");
  }
  const std::string tmp = path + ".tmp";
  try {
    WriteHdf5File(tmp, view, *spec_columns);
    PublishFile(tmp, path);
  } catch (...) {
    // unlink, not remove: never delete a directory someone put at `tmp`.
    (void)::unlink(tmp.c_str());
    throw;
  }
}

}  // namespace sortie
