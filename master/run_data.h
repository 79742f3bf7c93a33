// A finished or running run as plain rows in memory, for the tools that
// look at runs (`sortie status`, `sortie report`). It is read either from
// RUN.h5 (run_data_h5.cc) or, while the run is going, by replaying its
// journal (run_data_journal.cc), so both tools work the same on either.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/task.h"
#include "master/run_file.h"

namespace sortie {

/// One task's row of /tasks (its latest attempt) plus its stderr tail.
struct TaskRow {
  std::string id;
  TaskState state = TaskState::kPending;
  int32_t exit_code = -1;
  int32_t signal = 0;
  int32_t attempts = 0;
  double start_time = kNoTime;
  double end_time = kNoTime;
  int32_t rank = -1;
  std::string host;
  std::string tags_json = "{}";
  int32_t nodes = 1;
  int32_t ranks_per_node = 1;
  int32_t cores_per_rank = 1;
  int32_t gpus_per_rank = 0;
  std::vector<int32_t> node_ids;  ///< rows of /nodes; empty when unknown
  std::string reason;
  std::string stderr_tail;

  /// Cores the task asked for on all its nodes together.
  int64_t Cores() const {
    return int64_t{nodes} * ranks_per_node * cores_per_rank;
  }
};

/// One row of /results: a value the task reported for `key`.
struct ResultRow {
  int64_t task = 0;  ///< row in tasks
  std::string key;
  double value = kNoTime;  ///< NaN when the value is text
  std::string text;        ///< the value as written
};

/// Everything the status and report tools need about a run.
struct RunData {
  RunInfo info;
  std::vector<TaskRow> tasks;
  std::vector<NodeRecord> nodes;
  /// Rows of /allocations; empty for a file written before it existed.
  std::vector<AllocationRecord> allocations;
  std::vector<TaskEvent> events;
  std::vector<ResultRow> results;
  bool has_results = false;  ///< /results has at least one row
  /// "run.h5" or "journal": where the rows came from.
  std::string source;
};

/// The /nodes rows of a node list as /tasks/node_ids writes it ("4,0,7";
/// "" gives none). Throws std::invalid_argument on text that is not one.
std::vector<int32_t> ParseNodeList(const std::string& text);

/// True when the run has ended: finished_at is a number.
bool RunFinished(const RunData& run);

/// Reads RUN.h5 (schema version 1, docs/hdf5.md). Columns, groups and blobs
/// added within version 1 are optional: a file without them reads with
/// their defaults. Throws std::runtime_error (H5Error) when `path` is not
/// an HDF5 file or lacks the attributes and /tasks columns every version
/// has, i.e. is not a sortie run.
RunData ReadRunData(const std::string& path);

/// Rebuilds the run from its journal at `journal_path` by replaying it
/// read-only (the live master may be appending; nothing is locked, cut or
/// written, and a torn last record is ignored). Task ids, tags and
/// resources come from the manifest the journal names when it still has the
/// recorded digest, else from the snapshot at `run_h5_path` when readable,
/// else ids are "#ROW". Nodes, allocations and each task's node_ids come
/// from the journal's run and node records (a version-4 journal has no node
/// records: no nodes, empty node_ids). Throws std::runtime_error when the
/// journal cannot be read or has no run-start record.
RunData ReadRunJournal(const std::string& journal_path,
                       const std::string& run_h5_path);

}  // namespace sortie
