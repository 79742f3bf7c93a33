// RunData from RUN.h5: every column read whole (one H5Dread each), so a
// million-task file takes about a second.
#include <cmath>
#include <stdexcept>

#include "common/h5_read.h"
#include "master/run_data.h"

namespace sortie {
namespace {

TaskState ParseState(const std::string& name) {
  for (size_t i = 0; i < kTaskStateCount; ++i) {
    const auto state = static_cast<TaskState>(i);
    if (StateName(state) == name) return state;
  }
  // A state a newer sortie added: shown as pending rather than refused.
  return TaskState::kPending;
}

// A column of `group` when the file has it (columns were added within
// schema version 1), else empty.
struct Columns {
  hid_t group;
  size_t rows;
  bool Has(const char* name) const { return H5Exists(group, name); }
  std::vector<std::string> Strings(const char* name) const {
    if (!Has(name)) return {};
    return CheckRows(ReadStrings(OpenDataset(group, name).get()), name);
  }
  std::vector<int32_t> Ints(const char* name) const {
    if (!Has(name)) return {};
    return CheckRows(ReadInt32s(OpenDataset(group, name).get()), name);
  }
  std::vector<double> Doubles(const char* name) const {
    if (!Has(name)) return {};
    return CheckRows(ReadDoubles(OpenDataset(group, name).get()), name);
  }
  template <class T>
  std::vector<T> CheckRows(std::vector<T> values, const char* name) const {
    if (values.size() != rows) {
      throw std::runtime_error(std::string("column ") + name + " has " +
                               std::to_string(values.size()) +
                               " rows, expected " + std::to_string(rows));
    }
    return values;
  }
};

// Fills `field` of every task from `values` when the column exists.
template <class T, class Set>
void Fill(std::vector<TaskRow>* tasks, const std::vector<T>& values, Set set) {
  for (size_t i = 0; i < values.size(); ++i) set((*tasks)[i], values[i]);
}

std::vector<std::string> ReadTails(hid_t group, const char* name, size_t rows) {
  const std::string blob_name = std::string(name) + "_blob";
  const std::string offsets_name = std::string(name) + "_offsets";
  if (!H5Exists(group, blob_name) || !H5Exists(group, offsets_name)) return {};
  const std::string blob = ReadBytes(OpenDataset(group, blob_name).get());
  const std::vector<int64_t> offsets =
      ReadInt64s(OpenDataset(group, offsets_name).get());
  if (offsets.size() != rows + 1) return {};
  std::vector<std::string> tails(rows);
  for (size_t i = 0; i < rows; ++i) {
    const auto from = static_cast<size_t>(offsets[i]);
    const auto to = static_cast<size_t>(offsets[i + 1]);
    if (from <= to && to <= blob.size())
      tails[i] = blob.substr(from, to - from);
  }
  return tails;
}

void ReadTaskIdentity(const Columns& c, std::vector<TaskRow>* tasks) {
  Fill(tasks, c.Strings("id"), [](TaskRow& t, auto& v) { t.id = v; });
  Fill(tasks, c.Strings("state"),
       [](TaskRow& t, auto& v) { t.state = ParseState(v); });
  Fill(tasks, c.Ints("exit_code"), [](TaskRow& t, int v) { t.exit_code = v; });
  Fill(tasks, c.Ints("signal"), [](TaskRow& t, int v) { t.signal = v; });
  Fill(tasks, c.Ints("attempts"), [](TaskRow& t, int v) { t.attempts = v; });
  Fill(tasks, c.Doubles("start_time"),
       [](TaskRow& t, double v) { t.start_time = v; });
  Fill(tasks, c.Doubles("end_time"),
       [](TaskRow& t, double v) { t.end_time = v; });
  Fill(tasks, c.Ints("rank"), [](TaskRow& t, int v) { t.rank = v; });
  Fill(tasks, c.Strings("host"), [](TaskRow& t, auto& v) { t.host = v; });
  Fill(tasks, c.Strings("tags"), [](TaskRow& t, auto& v) { t.tags_json = v; });
  Fill(tasks, c.Strings("reason"), [](TaskRow& t, auto& v) { t.reason = v; });
}

void ReadTaskResources(const Columns& c, std::vector<TaskRow>* tasks) {
  Fill(tasks, c.Ints("nodes"), [](TaskRow& t, int v) { t.nodes = v; });
  Fill(tasks, c.Ints("ranks_per_node"),
       [](TaskRow& t, int v) { t.ranks_per_node = v; });
  Fill(tasks, c.Ints("cores_per_rank"),
       [](TaskRow& t, int v) { t.cores_per_rank = v; });
  Fill(tasks, c.Ints("gpus_per_rank"),
       [](TaskRow& t, int v) { t.gpus_per_rank = v; });
  Fill(tasks, c.Strings("node_ids"),
       [](TaskRow& t, auto& v) { t.node_ids = ParseNodeList(v); });
}

std::vector<TaskRow> ReadTasks(hid_t file) {
  const H5Group group = OpenGroup(file, "tasks");
  const size_t rows = ReadStrings(OpenDataset(group.get(), "id").get()).size();
  std::vector<TaskRow> tasks(rows);
  const Columns columns{group.get(), rows};
  ReadTaskIdentity(columns, &tasks);
  ReadTaskResources(columns, &tasks);
  Fill(&tasks, ReadTails(group.get(), "stderr_tail", rows),
       [](TaskRow& t, auto& v) { t.stderr_tail = v; });
  return tasks;
}

std::vector<NodeRecord> ReadNodes(hid_t file) {
  if (!H5Exists(file, "nodes/rank")) return {};
  const H5Group group = OpenGroup(file, "nodes");
  const std::vector<int32_t> ranks =
      ReadInt32s(OpenDataset(group.get(), "rank").get());
  const Columns c{group.get(), ranks.size()};
  std::vector<NodeRecord> nodes(ranks.size());
  for (size_t i = 0; i < ranks.size(); ++i) nodes[i].rank = ranks[i];
  const std::vector<std::string> hosts = c.Strings("host");
  const std::vector<int32_t> cores = c.Ints("cores");
  const std::vector<int32_t> gpus = c.Ints("gpus");
  const std::vector<int32_t> allocation = c.Ints("allocation");
  for (size_t i = 0; i < hosts.size(); ++i) nodes[i].host = hosts[i];
  for (size_t i = 0; i < allocation.size(); ++i) {
    nodes[i].allocation = allocation[i];
  }
  for (size_t i = 0; i < cores.size(); ++i) nodes[i].cores = cores[i];
  for (size_t i = 0; i < gpus.size(); ++i) nodes[i].gpus = gpus[i];
  return nodes;
}

std::vector<AllocationRecord> ReadAllocations(hid_t file) {
  if (!H5Exists(file, "allocations/started_at")) return {};
  const H5Group group = OpenGroup(file, "allocations");
  const std::vector<double> started_at =
      ReadDoubles(OpenDataset(group.get(), "started_at").get());
  const Columns c{group.get(), started_at.size()};
  const std::vector<double> ended_at = c.Doubles("ended_at");
  const std::vector<int32_t> ranks = c.Ints("ranks");
  const std::vector<int32_t> nodes = c.Ints("nodes");
  std::vector<AllocationRecord> allocations(started_at.size());
  for (size_t i = 0; i < started_at.size(); ++i) {
    AllocationRecord& a = allocations[i];
    a.started_at = started_at[i];
    if (!ended_at.empty()) a.ended_at = ended_at[i];
    if (!ranks.empty()) a.ranks = ranks[i];
    if (!nodes.empty()) a.nodes = nodes[i];
  }
  return allocations;
}

std::vector<TaskEvent> ReadEvents(hid_t file) {
  if (!H5Exists(file, "events/task")) return {};
  const H5Group group = OpenGroup(file, "events");
  const std::vector<int32_t> task =
      ReadInt32s(OpenDataset(group.get(), "task").get());
  const Columns c{group.get(), task.size()};
  const std::vector<int32_t> attempt = c.Ints("attempt");
  const std::vector<double> time = c.Doubles("time");
  const std::vector<std::string> event = c.Strings("event");
  const std::vector<int32_t> rank = c.Ints("rank");
  std::vector<TaskEvent> events(task.size());
  for (size_t i = 0; i < task.size(); ++i) {
    TaskEvent& e = events[i];
    e.row = static_cast<uint32_t>(task[i]);
    if (!attempt.empty()) e.attempt = attempt[i];
    if (!time.empty()) e.time = time[i];
    if (!event.empty() && event[i] != "STARTED") e.state = ParseState(event[i]);
    if (!rank.empty()) e.rank = rank[i];
  }
  return events;
}

std::vector<ResultRow> ReadResults(hid_t file) {
  const H5Group group = OpenGroup(file, "results");
  const std::vector<int64_t> task =
      ReadInt64s(OpenDataset(group.get(), "task").get());
  const Columns c{group.get(), task.size()};
  const std::vector<std::string> key = c.Strings("key");
  const std::vector<double> value = c.Doubles("value");
  const std::vector<std::string> text = c.Strings("text");
  std::vector<ResultRow> results(task.size());
  for (size_t i = 0; i < task.size(); ++i) {
    results[i].task = task[i];
    if (!key.empty()) results[i].key = key[i];
    if (!value.empty()) results[i].value = value[i];
    if (!text.empty()) results[i].text = text[i];
  }
  return results;
}

double OptionalDouble(hid_t object, const char* name) {
  return H5HasAttribute(object, name) ? ReadDoubleAttribute(object, name)
                                      : kNoTime;
}

RunInfo ReadInfo(hid_t file) {
  RunInfo info;
  // Every sortie run.h5 has these two; anything else is not a run.
  (void)ReadIntAttribute(file, "schema_version");
  info.started_at = ReadDoubleAttribute(file, "started_at");
  info.finished_at = OptionalDouble(file, "finished_at");
  info.written_at = OptionalDouble(file, "written_at");
  if (H5HasAttribute(file, "manifest")) {
    info.manifest_path = ReadStringAttribute(file, "manifest");
  }
  if (H5HasAttribute(file, "sortie_version")) {
    info.sortie_version = ReadStringAttribute(file, "sortie_version");
  }
  if (H5HasAttribute(file, "exit_status")) {
    info.exit_status = static_cast<int>(ReadIntAttribute(file, "exit_status"));
  }
  if (H5HasAttribute(file, "world_size")) {
    info.world_size = static_cast<int>(ReadIntAttribute(file, "world_size"));
  }
  return info;
}

}  // namespace

std::vector<int32_t> ParseNodeList(const std::string& text) {
  std::vector<int32_t> ids;
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    ids.push_back(std::stoi(text.substr(start, comma - start)));
    start = comma + 1;
  }
  return ids;
}

bool RunFinished(const RunData& run) {
  return !std::isnan(run.info.finished_at);
}

RunData ReadRunData(const std::string& path) {
  const H5File file = OpenFileReadOnly(path);
  RunData run;
  run.source = "run.h5";
  run.info = ReadInfo(file.get());
  run.tasks = ReadTasks(file.get());
  run.nodes = ReadNodes(file.get());
  run.allocations = ReadAllocations(file.get());
  run.events = ReadEvents(file.get());
  run.has_results = H5Exists(file.get(), "results/task");
  if (run.has_results) run.results = ReadResults(file.get());
  // Written always, possibly empty: no rows means nothing to show.
  run.has_results = !run.results.empty();
  return run;
}

}  // namespace sortie
