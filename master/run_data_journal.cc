// RunData from a live run's journal: replayed read-only into a RunState,
// exactly as --resume would, but never truncated or reopened for writing,
// so the master appending to it is not disturbed.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "master/manifest.h"
#include "master/run_data.h"
#include "master/run_state.h"

namespace sortie {
namespace {

// Run-level facts, from a first pass over the journal.
struct JournalHeader {
  bool started = false;
  std::string manifest_path;
  std::string sha256;  ///< the manifest's digest at the latest (re)start
  uint64_t rows = 0;   ///< tasks in the manifest, or beyond the last row seen
  RunInfo info;
};

JournalHeader ScanHeader(const std::string& path) {
  JournalHeader header;
  ReplayResult replay = ReplayJournal(path, [&](const JournalRecord& r) {
    switch (r.type) {
      case JournalRecordType::kRunStarted:
        if (!header.started) header.info.started_at = r.time;
        header.started = true;
        header.manifest_path = r.text;
        header.sha256 = r.sha256;
        header.rows = std::max<uint64_t>(header.rows, r.count);
        header.info.world_size = r.rank;
        header.info.finished_at = kNoTime;
        header.info.exit_status = -1;
        break;
      case JournalRecordType::kRunResumed:
        header.sha256 = r.sha256;
        header.info.world_size = r.rank;
        header.info.finished_at = kNoTime;
        header.info.exit_status = -1;
        break;
      case JournalRecordType::kRunFinished:
        header.info.finished_at = r.time;
        header.info.exit_status = r.exit_code;
        break;
      case JournalRecordType::kAllocationNodes:
        break;  // names no task row
      default:
        header.rows = std::max<uint64_t>(header.rows, uint64_t{r.row} + 1);
    }
  });
  if (!replay.error.empty()) {
    throw std::runtime_error(path + ": " + replay.error);
  }
  if (!header.started) {
    throw std::runtime_error(path +
                             ": no run-start record; not a sortie "
                             "journal");
  }
  header.info.manifest_path = header.manifest_path;
  return header;
}

// The manifest as it was started, when it is still there unchanged.
bool SpecsFromManifest(const JournalHeader& header,
                       std::vector<TaskSpec>* specs) {
  Manifest manifest;
  std::vector<ManifestError> errors;
  if (header.manifest_path.empty() ||
      !LoadManifest(header.manifest_path, ManifestFormat::kAuto, &manifest,
                    &errors) ||
      manifest.sha256 != header.sha256) {
    return false;
  }
  *specs = std::move(manifest.tasks);
  return true;
}

// The last snapshot's view of the tasks (ids, tags, resources).
bool SpecsFromSnapshot(const std::string& run_h5_path,
                       std::vector<TaskSpec>* specs) {
  try {
    RunData snapshot = ReadRunData(run_h5_path);
    specs->clear();
    for (const TaskRow& row : snapshot.tasks) {
      TaskSpec spec;
      spec.id = row.id;
      spec.tags_json = row.tags_json;
      spec.nodes = row.nodes;
      spec.ranks_per_node = row.ranks_per_node;
      spec.cores_per_rank = row.cores_per_rank;
      spec.gpus_per_rank = row.gpus_per_rank;
      specs->push_back(std::move(spec));
    }
    return true;
  } catch (const std::exception&) {
    return false;  // no snapshot yet, or mid-rename: fall back to row numbers
  }
}

std::vector<TaskSpec> FindSpecs(const JournalHeader& header,
                                const std::string& run_h5_path) {
  std::vector<TaskSpec> specs;
  if (!SpecsFromManifest(header, &specs) &&
      !SpecsFromSnapshot(run_h5_path, &specs)) {
    specs.clear();
  }
  // Never fewer rows than the journal talks about: unnamed ones get "#ROW".
  for (size_t row = specs.size(); row < header.rows; ++row) {
    TaskSpec spec;
    spec.id = "#" + std::to_string(row);
    specs.push_back(std::move(spec));
  }
  return specs;
}

TaskRow ToRow(const RunState& state, const RunView& view, size_t row) {
  const TaskSpec& spec = state.specs()[row];
  const TaskStatus& status = state.status()[row];
  TaskRow out;
  out.id = spec.id;
  out.state = status.state;
  out.exit_code = status.exit_code;
  out.signal = status.signal;
  out.attempts = status.attempts;
  out.start_time = status.start_time;
  out.end_time = status.end_time;
  out.rank = status.rank;
  if (status.host >= 0) out.host = state.HostName(status.host);
  out.tags_json = spec.tags_json;
  out.nodes = spec.nodes;
  out.ranks_per_node = spec.ranks_per_node;
  out.cores_per_rank = spec.cores_per_rank;
  out.gpus_per_rank = spec.gpus_per_rank;
  // The latest started attempt's nodes, from the journal's node records;
  // none in a journal without them (version 4).
  out.node_ids = ParseNodeList(view.task_nodes[row]);
  out.reason = view.notes[row].reason;
  out.stderr_tail = view.notes[row].stderr_tail;
  return out;
}

// The /results rows a snapshot would hold: each task's latest results, in
// row order.
void AddResults(const RunState& state, RunData* run) {
  const RunView view = state.View();
  for (size_t row = 0; row < state.specs().size(); ++row) {
    for (const ResultValue& result : view.notes[row].results) {
      run->results.push_back(ResultRow{static_cast<int64_t>(row), result.key,
                                       result.value, result.text});
    }
  }
  run->has_results = !run->results.empty();
}

}  // namespace

RunData ReadRunJournal(const std::string& journal_path,
                       const std::string& run_h5_path) {
  const JournalHeader header = ScanHeader(journal_path);
  RunState state(FindSpecs(header, run_h5_path), header.info);
  // Records appended since the first pass are applied too; a torn record
  // (the master mid-write) just ends the replay.
  const ReplayResult replay = ReplayJournal(
      journal_path, [&](const JournalRecord& record) { state.Apply(record); });
  if (!replay.error.empty()) {
    throw std::runtime_error(journal_path + ": " + replay.error);
  }
  RunData run;
  run.source = "journal";
  run.info = header.info;
  const RunView view = state.View();
  run.tasks.reserve(state.specs().size());
  for (size_t row = 0; row < state.specs().size(); ++row) {
    run.tasks.push_back(ToRow(state, view, row));
  }
  run.nodes = view.nodes;
  run.allocations.assign(view.allocations.begin(), view.allocations.end());
  run.events = view.events;
  AddResults(state, &run);
  return run;
}

}  // namespace sortie
