#include "master/run_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

#include "common/h5.h"
#include "master/intern_table.h"
#include "test_dir.h"

namespace sortie {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// clang-format off
const std::vector<std::string> kColumns = {
    "id", "state", "exit_code", "signal", "attempts", "start_time",
    "end_time", "rank", "host", "stdout", "stderr", "command", "tags",
    "nodes", "ranks_per_node", "cores_per_rank", "gpus_per_rank",
    "node_ids", "priority", "est_runtime", "function", "reason"};
// clang-format on
const std::vector<std::string> kTextColumns = {
    "id",   "host",     "stdout",   "stderr", "command",
    "tags", "node_ids", "function", "reason"};
// The datasets of /tasks that are not columns: each blob is stored as
// NAME_blob (the bytes) and NAME_offsets (rows + 1 entries).
const std::vector<std::string> kBlobs = {"stdout_tail", "stderr_tail"};
const std::vector<std::string> kBlobDatasets = {
    "stdout_tail_blob", "stdout_tail_offsets", "stderr_tail_blob",
    "stderr_tail_offsets"};
const std::vector<std::string> kEventColumns = {"task", "attempt", "time",
                                                "event", "rank"};
const std::vector<std::string> kInt32Columns = {
    "exit_code",      "signal",         "attempts",      "rank",    "nodes",
    "ranks_per_node", "cores_per_rank", "gpus_per_rank", "priority"};
const std::vector<std::string> kFloat64Columns = {"start_time", "end_time",
                                                  "est_runtime"};
const std::vector<std::string> kNodeColumns = {"rank", "host", "cores", "gpus"};

// A fresh, empty directory for one test.
fs::path TestDir() { return FreshTestDir("run_file_test"); }

// Owns what a RunView borrows.
struct RunData {
  RunInfo info;
  std::vector<TaskSpec> specs;
  std::vector<TaskStatus> status;
  std::vector<std::string> hosts;
  std::vector<NodeRecord> nodes;
  std::vector<std::string> task_nodes;
  std::vector<TaskNotes> notes;
  std::vector<TaskEvent> events;
  mutable TaskNotesTable notes_table;       ///< what View() lends of `notes`
  mutable std::vector<int32_t> node_index;  ///< and of `task_nodes`, as
  mutable InternTable node_table;           ///< RunState keeps them
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
                   notes_table, events};
  }
};

TaskSpec Spec(std::string id, std::vector<std::string> command, bool shell) {
  TaskSpec spec;
  spec.mutable_extras().stdout_path = "/scratch/out/" + id + ".out";
  spec.mutable_extras().stderr_path = "/scratch/out/" + id + ".err";
  spec.id = std::move(id);
  spec.command = std::move(command);
  spec.shell = shell;
  return spec;
}

TaskStatus Status(TaskState state, int32_t exit_code, int32_t signal,
                  int32_t attempts, int32_t rank, int32_t host, double start,
                  double end) {
  TaskStatus status;
  status.state = state;
  status.exit_code = exit_code;
  status.signal = static_cast<int16_t>(signal);
  status.attempts = attempts;
  status.rank = rank;
  status.host = host;
  status.start_time = start;
  status.end_time = end;
  return status;
}

TaskEvent Event(uint32_t row, int32_t attempt, double time, TaskState state,
                int32_t rank) {
  return TaskEvent{row, attempt, time, state, rank};
}

// Output as tasks leave it: NULs, bytes that are not UTF-8 and, since a tail
// starts mid-file, the last two bytes of a three-byte character.
std::string AwkwardTail(size_t size) {
  std::string tail = "\x9c\x93 ok\n";
  tail += std::string("nul:\0:", 6) + "bad:\xff\xfe\xc3(:✓\n";
  while (tail.size() < size) {
    tail += "line " + std::to_string(tail.size()) + "\n";
  }
  tail.resize(size);
  return tail;
}

// One task in each state (FAILED twice: by exit code and by signal), UTF-8
// ids, host -1 and real host indices, NaN times; a multi-node task, a
// function task, and three nodes. Tails: empty, UTF-8, NULs, invalid UTF-8,
// full 4 KiB; events: retries, a timeout and a drain along the way.
RunData SampleRun() {
  RunData run;
  run.info = RunInfo{"0.1.0",
                     "/home/ü/manifest.jsonl",
                     std::string(64, 'a'),
                     "MPICH Version: 4.0.2",
                     4,
                     1700000000.25,
                     kNoTime};
  run.hosts = {"node-01", "nœud-02"};
  run.specs = {
      Spec("タスク-1", {"echo hi"}, true),
      Spec("naïve", {"python3", "-c", "print(\"é\")"}, false),
      Spec("done-0", {"true"}, true),
      Spec("failed-exit", {"exit 3"}, true),
      Spec("failed-signal", {"kill -9 $$"}, true),
  };
  run.specs[1].tags_json = R"({"kind":"ü"})";
  run.specs[1].nodes = 2;
  run.specs[1].ranks_per_node = 4;
  run.specs[1].cores_per_rank = 8;
  run.specs[1].gpus_per_rank = 1;
  run.specs[1].priority = 5;
  run.specs[1].est_runtime = 120.5;
  run.specs[2].command.clear();
  run.specs[2].shell = false;
  run.specs[2].function = "/opt/lib/libwörk.so:run_step";
  run.specs[2].args_json = R"({"step":1})";
  run.specs[2].cores_per_rank = 16;
  run.specs[4].priority = -3;
  run.nodes = {
      {1, "node-01", 64, 4}, {2, "nœud-02", 128, 8}, {3, "node-01", 32, 0}};
  run.task_nodes = {"", "1,0", "0", "2", "1"};
  run.status = {
      Status(TaskState::kPending, -1, 0, 0, -1, -1, kNoTime, kNoTime),
      Status(TaskState::kRunning, -1, 0, 1, 2, 1, 1700000001.5, kNoTime),
      Status(TaskState::kDone, 0, 0, 1, 1, 0, 1700000001.0, 1700000002.5),
      Status(TaskState::kFailed, 3, 0, 2, 3, 0, 1700000003.0, 1700000004.0),
      Status(TaskState::kFailed, -1, 9, 3, 1, 1, 1700000005.0, 1700000009.0),
  };
  run.notes = {
      TaskNotes{"", "", ""},
      TaskNotes{"step 1 of 9\n", "", ""},
      TaskNotes{"hi\n", "", ""},
      TaskNotes{"", "Traceback:\nValueError: ü\n", "exit status 3"},
      TaskNotes{std::string("\0bin\xff\xfe\0", 6) + "\xe2\x9c",
                AwkwardTail(kOutputTailBytes), "killed by signal 9"},
  };
  const auto S = TaskState::kRunning;
  run.events = {
      Event(2, 1, 1700000001.0, S, 1),
      Event(1, 1, 1700000001.5, S, 2),
      Event(3, 1, 1700000001.6, S, 3),
      Event(4, 1, 1700000001.7, S, 1),
      Event(3, 1, 1700000002.0, TaskState::kFailed, 3),
      Event(2, 1, 1700000002.5, TaskState::kDone, 1),
      Event(4, 1, 1700000002.7, TaskState::kTimeout, 1),
      Event(3, 2, 1700000003.0, S, 3),
      Event(4, 2, 1700000003.5, S, 1),
      Event(3, 2, 1700000004.0, TaskState::kFailed, 3),
      Event(4, 2, 1700000004.5, TaskState::kInterrupted, 1),
      Event(4, 3, 1700000005.0, S, 1),
      Event(4, 3, 1700000009.0, TaskState::kFailed, 1),
  };
  return run;
}

// The lifecycle this milestone adds, on two 8-core nodes: retries of a
// FAILED task, a SKIPPED dependant, TIMEOUTs, a DONE task that was
// INTERRUPTED once and rerun after a resume, one still INTERRUPTED, and a
// launch error whose reason names a Latin-1 path (not UTF-8).
RunData LifecycleRun() {
  RunData run;
  run.info.started_at = 50;
  run.hosts = {"n0", "n1"};
  run.nodes = {{1, "n0", 8, 0}, {2, "n1", 8, 0}};
  // `node` is where the last attempt ran (-1: never), served by rank
  // node + 1.
  const auto add = [&run](const char* id, TaskState state, int32_t exit_code,
                          int32_t signal, int32_t attempts, int32_t node,
                          double start, double end, TaskNotes notes) {
    run.specs.push_back(Spec(id, {"./run"}, true));
    run.status.push_back(Status(state, exit_code, signal, attempts,
                                node < 0 ? -1 : node + 1, node, start, end));
    run.task_nodes.push_back(node < 0 ? "" : std::to_string(node));
    run.notes.push_back(std::move(notes));
  };
  const double nan = kNoTime;
  add("prep", TaskState::kFailed, 1, 0, 2, 0, 100, 110,
      {"", "Traceback (most recent call last):\nboom\n", ""});
  add("train", TaskState::kSkipped, -1, 0, 0, -1, nan, nan,
      {"", "", "after \"prep\", which ended FAILED"});
  add("slow", TaskState::kTimeout, -1, 15, 2, 0, 100, 160,
      {"progress 99%\n", "Terminated\n", ""});
  add("long", TaskState::kDone, 0, 0, 2, 0, 200, 230, {"finished ✓\n", "", ""});
  add("drained", TaskState::kInterrupted, -1, 15, 1, 1, 120, 170,
      {"partial \xe2\x9c", "", ""});
  add("bad-exec", TaskState::kFailed, 127, 0, 1, 0, 120, 120,
      {"", "", "exec /scratch/caf\xe9/run: No such file or directory"});
  add("ok", TaskState::kDone, 0, 0, 1, 1, 60, 61,
      {"ok\n", std::string("warn\0\n", 6), ""});
  const auto S = TaskState::kRunning;
  run.events = {
      Event(6, 1, 60, S, 2),
      Event(6, 1, 61, TaskState::kDone, 2),
      Event(0, 1, 90, S, 2),
      Event(2, 1, 90, S, 1),
      Event(3, 1, 90, S, 1),
      Event(0, 1, 95, TaskState::kFailed, 2),
      Event(2, 1, 95, TaskState::kTimeout, 1),
      Event(0, 2, 100, S, 1),
      Event(2, 2, 100, S, 1),
      Event(0, 2, 110, TaskState::kFailed, 1),
      Event(1, 0, 110, TaskState::kSkipped, -1),
      Event(4, 1, 120, S, 2),
      Event(5, 1, 120, S, 1),
      Event(5, 1, 120, TaskState::kFailed, 1),
      Event(2, 2, 160, TaskState::kTimeout, 1),
      Event(3, 1, 170, TaskState::kInterrupted, 1),  // the drain
      Event(4, 1, 170, TaskState::kInterrupted, 2),
      Event(3, 2, 200, S, 1),  // after the resume
      Event(3, 2, 230, TaskState::kDone, 1),
  };
  return run;
}

// "first,first+1,..." for `count` nodes, as RunView::task_nodes has them.
std::string NodeList(size_t first, size_t count) {
  std::string list;
  for (size_t node = first; node < first + count; ++node) {
    if (!list.empty()) list += ',';
    list += std::to_string(node);
  }
  return list;
}

// ManyTasks' notes and events for row `i`.
void AddManyTasksNotes(size_t i, TaskState state, RunData* run) {
  TaskNotes& notes = run->notes[i];
  if (i % 97 == 0) notes.stdout_tail = AwkwardTail(i % 1500);
  if (i % 13 == 0) notes.stderr_tail = "err " + std::to_string(i);
  if (state == TaskState::kFailed) notes.reason = "row " + std::to_string(i);
  if (state == TaskState::kPending) return;
  const auto row = static_cast<uint32_t>(i);
  const auto rank = static_cast<int32_t>(i % 64);
  const double t = 1.7e9 + static_cast<double>(i);
  run->events.push_back(Event(row, 1, t, TaskState::kRunning, rank));
  if (state != TaskState::kRunning) {
    run->events.push_back(Event(row, 1, t + 1, state, rank));
  }
}

// `rows` tasks whose every column differs row to row; row `wide_row` has a
// 1000-byte command so the command column has small chunks. Tails of up to
// 1.5 KB on every 97th row span many blob chunks; every started task has a
// STARTED event and every ended one an end event.
RunData ManyTasks(size_t rows, size_t wide_row) {
  RunData run = SampleRun();
  run.specs.clear();
  run.status.clear();
  run.task_nodes.clear();
  run.nodes.clear();
  run.notes.assign(rows, TaskNotes{});
  run.events.clear();
  for (int32_t node = 0; node < 8; ++node) {
    run.nodes.push_back({node + 1, "nid" + std::to_string(node), 64, 4});
  }
  run.specs.reserve(rows);
  run.status.reserve(rows);
  for (size_t i = 0; i < rows; ++i) {
    const auto n = static_cast<int32_t>(i);
    run.specs.push_back(Spec("task-" + std::to_string(i),
                             {"./simulate --seed " + std::to_string(i)}, true));
    if (i == wide_row) run.specs.back().command[0] += std::string(1000, 'x');
    run.specs.back().tags_json = R"({"n":)" + std::to_string(i % 7) + "}";
    const auto state = static_cast<TaskState>(i % 4);
    run.status.push_back(Status(state, n % 3 - 1, n % 5, n % 4, n % 64,
                                n % 3 - 1, 1.7e9 + static_cast<double>(i),
                                1.7e9 + 2.0 * static_cast<double>(i)));
    TaskSpec& spec = run.specs.back();
    spec.nodes = 1 + n % 3;
    spec.ranks_per_node = 1 + n % 4;
    spec.cores_per_rank = 1 + n % 5;
    spec.gpus_per_rank = n % 2;
    spec.priority = n % 11 - 5;
    spec.est_runtime = i % 3 == 0 ? kNoTime : static_cast<double>(i) / 4;
    if (i % 10 == 9) {
      spec.command.clear();
      spec.function = "sortie:sleep";
    }
    run.task_nodes.push_back(
        state == TaskState::kPending
            ? ""
            : NodeList(i % 3, static_cast<size_t>(spec.nodes)));
    AddManyTasksNotes(i, state, &run);
  }
  return run;
}

// Column readers; `group` is "tasks" or "nodes".
std::vector<std::string> StringColumn(hid_t file, const std::string& name,
                                      const std::string& group = "tasks") {
  return ReadStrings(OpenDataset(file, group + "/" + name).get());
}

std::vector<int32_t> Int32Column(hid_t file, const std::string& name,
                                 const std::string& group = "tasks") {
  return ReadInt32s(OpenDataset(file, group + "/" + name).get());
}

std::vector<double> Float64Column(hid_t file, const std::string& name,
                                  const std::string& group = "tasks") {
  return ReadDoubles(OpenDataset(file, group + "/" + name).get());
}

// Reads a whole 1-D dataset as `mem_type` values of T.
template <class T>
std::vector<T> ReadAll(hid_t file, const std::string& path, hid_t mem_type) {
  const H5Dataset dataset = OpenDataset(file, path);
  const H5Space space(H5Dget_space(dataset.get()));
  std::vector<T> values(
      static_cast<size_t>(H5Sget_simple_extent_npoints(space.get())));
  if (!values.empty()) {
    EXPECT_GE(H5Dread(dataset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                      values.data()),
              0)
        << path;
  }
  return values;
}

std::vector<int64_t> Offsets(hid_t file, const std::string& blob) {
  return ReadAll<int64_t>(file, "tasks/" + blob + "_offsets", H5T_NATIVE_INT64);
}

std::string BlobBytes(hid_t file, const std::string& blob) {
  const std::vector<char> bytes =
      ReadAll<char>(file, "tasks/" + blob + "_blob", H5T_NATIVE_UINT8);
  return std::string(bytes.begin(), bytes.end());
}

// Every task's value of `blob` ("stdout_tail", "stderr_tail"), cut out of
// NAME_blob by NAME_offsets as a reader would.
std::vector<std::string> BlobValues(hid_t file, const std::string& blob) {
  const std::string bytes = BlobBytes(file, blob);
  const std::vector<int64_t> offsets = Offsets(file, blob);
  std::vector<std::string> values;
  for (size_t i = 0; i + 1 < offsets.size(); ++i) {
    const auto begin = static_cast<size_t>(offsets[i]);
    const auto end = static_cast<size_t>(offsets[i + 1]);
    if (begin > end || end > bytes.size()) {
      ADD_FAILURE() << blob << " offsets " << begin << ".." << end
                    << " outside a blob of " << bytes.size() << " bytes";
      break;
    }
    values.push_back(bytes.substr(begin, end - begin));
  }
  return values;
}

// What each column of `run` should read back as, computed field by field.
struct Expected {
  std::vector<std::string> id, state, host, out, err, command, tags, node_ids,
      function, reason, stdout_tail, stderr_tail;
  std::vector<int32_t> exit_code, signal, attempts, rank, nodes, ranks_per_node,
      cores_per_rank, gpus_per_rank, priority;
  std::vector<double> start, end, est_runtime;
};

Expected ExpectedColumns(const RunData& run) {
  Expected e;
  for (size_t i = 0; i < run.specs.size(); ++i) {
    const TaskSpec& spec = run.specs[i];
    const TaskStatus& st = run.status[i];
    e.id.push_back(spec.id);
    e.state.emplace_back(StateName(st.state));
    e.host.push_back(st.host < 0 ? ""
                                 : run.hosts.at(static_cast<size_t>(st.host)));
    e.out.push_back(spec.extras().stdout_path);
    e.err.push_back(spec.extras().stderr_path);
    e.command.push_back(spec.function.empty() ? CommandText(spec) : "");
    e.tags.emplace_back(spec.tags_json);
    e.node_ids.push_back(run.task_nodes[i]);
    e.function.push_back(spec.function);
    e.nodes.push_back(spec.nodes);
    e.ranks_per_node.push_back(spec.ranks_per_node);
    e.cores_per_rank.push_back(spec.cores_per_rank);
    e.gpus_per_rank.push_back(spec.gpus_per_rank);
    e.priority.push_back(spec.priority);
    e.est_runtime.push_back(spec.est_runtime);
    e.exit_code.push_back(st.exit_code);
    e.signal.push_back(st.signal);
    e.attempts.push_back(st.attempts);
    e.rank.push_back(st.rank);
    e.start.push_back(st.start_time);
    e.end.push_back(st.end_time);
    e.reason.push_back(run.notes[i].reason);
    e.stdout_tail.push_back(run.notes[i].stdout_tail);
    e.stderr_tail.push_back(run.notes[i].stderr_tail);
  }
  return e;
}

// Doubles equal, NaN equal to NaN.
void ExpectSameTimes(const std::vector<double>& got,
                     const std::vector<double>& want, const char* column) {
  ASSERT_EQ(got.size(), want.size()) << column;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << column << " row " << i;
    } else {
      EXPECT_EQ(got[i], want[i]) << column << " row " << i;
    }
  }
}

// The /events columns match `events` row for row.
void ExpectEventsMatch(hid_t file, const std::vector<TaskEvent>& events) {
  std::vector<int32_t> task, attempt, rank;
  std::vector<double> time;
  std::vector<std::string> name;
  for (const TaskEvent& event : events) {
    task.push_back(static_cast<int32_t>(event.row));
    attempt.push_back(event.attempt);
    time.push_back(event.time);
    name.emplace_back(event.state == TaskState::kRunning
                          ? "STARTED"
                          : StateName(event.state));
    rank.push_back(event.rank);
  }
  EXPECT_EQ(Int32Column(file, "task", "events"), task);
  EXPECT_EQ(Int32Column(file, "attempt", "events"), attempt);
  ExpectSameTimes(Float64Column(file, "time", "events"), time, "time");
  EXPECT_EQ(StringColumn(file, "event", "events"), name);
  EXPECT_EQ(Int32Column(file, "rank", "events"), rank);
}

void ExpectColumnsMatch(hid_t file, const RunData& run) {
  const Expected e = ExpectedColumns(run);
  EXPECT_EQ(StringColumn(file, "id"), e.id);
  EXPECT_EQ(StringColumn(file, "state"), e.state);
  EXPECT_EQ(StringColumn(file, "host"), e.host);
  EXPECT_EQ(StringColumn(file, "stdout"), e.out);
  EXPECT_EQ(StringColumn(file, "stderr"), e.err);
  EXPECT_EQ(StringColumn(file, "command"), e.command);
  EXPECT_EQ(StringColumn(file, "tags"), e.tags);
  EXPECT_EQ(Int32Column(file, "exit_code"), e.exit_code);
  EXPECT_EQ(Int32Column(file, "signal"), e.signal);
  EXPECT_EQ(Int32Column(file, "attempts"), e.attempts);
  EXPECT_EQ(Int32Column(file, "rank"), e.rank);
  ExpectSameTimes(Float64Column(file, "start_time"), e.start, "start_time");
  ExpectSameTimes(Float64Column(file, "end_time"), e.end, "end_time");
  EXPECT_EQ(StringColumn(file, "node_ids"), e.node_ids);
  EXPECT_EQ(StringColumn(file, "function"), e.function);
  EXPECT_EQ(Int32Column(file, "nodes"), e.nodes);
  EXPECT_EQ(Int32Column(file, "ranks_per_node"), e.ranks_per_node);
  EXPECT_EQ(Int32Column(file, "cores_per_rank"), e.cores_per_rank);
  EXPECT_EQ(Int32Column(file, "gpus_per_rank"), e.gpus_per_rank);
  EXPECT_EQ(Int32Column(file, "priority"), e.priority);
  ExpectSameTimes(Float64Column(file, "est_runtime"), e.est_runtime,
                  "est_runtime");
  EXPECT_EQ(StringColumn(file, "reason"), e.reason);
  EXPECT_EQ(BlobValues(file, "stdout_tail"), e.stdout_tail);
  EXPECT_EQ(BlobValues(file, "stderr_tail"), e.stderr_tail);
  ExpectEventsMatch(file, run.events);
}

// The /nodes columns match `nodes` row for row.
void ExpectNodesMatch(hid_t file, const std::vector<NodeRecord>& nodes) {
  std::vector<int32_t> rank, cores, gpus;
  std::vector<std::string> host;
  for (const NodeRecord& node : nodes) {
    rank.push_back(node.rank);
    host.push_back(node.host);
    cores.push_back(node.cores);
    gpus.push_back(node.gpus);
  }
  EXPECT_EQ(Int32Column(file, "rank", "nodes"), rank);
  EXPECT_EQ(StringColumn(file, "host", "nodes"), host);
  EXPECT_EQ(Int32Column(file, "cores", "nodes"), cores);
  EXPECT_EQ(Int32Column(file, "gpus", "nodes"), gpus);
}

H5Type DatasetType(hid_t file, const std::string& column,
                   const std::string& group = "tasks") {
  const H5Dataset dataset = OpenDataset(file, group + "/" + column);
  return H5Type(H5Dget_type(dataset.get()));
}

H5Type AttributeType(hid_t object, const char* name) {
  const H5Attribute attribute(H5Aopen(object, name, H5P_DEFAULT));
  return H5Type(H5Aget_type(attribute.get()));
}

hsize_t Rows(hid_t file, const std::string& column,
             const std::string& group = "tasks") {
  const H5Dataset dataset = OpenDataset(file, group + "/" + column);
  const H5Space space(H5Dget_space(dataset.get()));
  EXPECT_EQ(H5Sget_simple_extent_ndims(space.get()), 1) << column;
  hsize_t dims[1] = {0};
  H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  return dims[0];
}

// Rows per chunk of a column, 0 when it is not chunked.
hsize_t ChunkRows(hid_t file, const std::string& column,
                  const std::string& group = "tasks") {
  const H5Dataset dataset = OpenDataset(file, group + "/" + column);
  const H5Plist dcpl(H5Dget_create_plist(dataset.get()));
  if (H5Pget_layout(dcpl.get()) != H5D_CHUNKED) return 0;
  hsize_t chunk[1] = {0};
  EXPECT_EQ(H5Pget_chunk(dcpl.get(), 1, chunk), 1);
  return chunk[0];
}

std::string ShellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text)
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

struct CommandResult {
  int exit_status;
  std::string output;
};

CommandResult RunCommand(const std::string& command) {
  CommandResult result{-1, ""};
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    result.output.append(buffer, n);
  }
  const int status = pclose(pipe);
  if (WIFEXITED(status)) result.exit_status = WEXITSTATUS(status);
  return result;
}

bool PythonHasH5py() {
  return RunCommand("/usr/bin/python3 -c 'import h5py, pandas'").exit_status ==
         0;
}

TEST(RunFileTest, WritesEveryRootAttribute) {
  const fs::path path = TestDir() / "RUN.h5";
  const RunData run = SampleRun();
  WriteRunFile(path, run.View());

  const H5File file = OpenFileReadOnly(path);
  const hid_t root = file.get();
  EXPECT_EQ(ReadIntAttribute(root, "schema_version"), 1);
  EXPECT_EQ(ReadStringAttribute(root, "sortie_version"), "0.1.0");
  EXPECT_EQ(ReadStringAttribute(root, "manifest"), "/home/ü/manifest.jsonl");
  EXPECT_EQ(ReadStringAttribute(root, "manifest_sha256"), std::string(64, 'a'));
  EXPECT_EQ(ReadStringAttribute(root, "mpi_library"), "MPICH Version: 4.0.2");
  EXPECT_EQ(ReadIntAttribute(root, "world_size"), 4);
  EXPECT_EQ(ReadDoubleAttribute(root, "started_at"), 1700000000.25);
  EXPECT_TRUE(std::isnan(ReadDoubleAttribute(root, "finished_at")));
  EXPECT_EQ(ReadIntAttribute(root, "exit_status"), -1);
  H5O_info_t info;
  ASSERT_GE(H5Oget_info2(root, &info, H5O_INFO_NUM_ATTRS), 0);
  EXPECT_EQ(info.num_attrs, 9u);
}

TEST(RunFileTest, RootAttributeTypes) {
  const fs::path path = TestDir() / "RUN.h5";
  WriteRunFile(path, SampleRun().View());
  const H5File file = OpenFileReadOnly(path);
  for (const char* name : {"schema_version", "world_size", "exit_status"}) {
    EXPECT_GT(H5Tequal(AttributeType(file.get(), name).get(), H5T_STD_I32LE), 0)
        << name;
  }
  for (const char* name : {"started_at", "finished_at"}) {
    EXPECT_GT(H5Tequal(AttributeType(file.get(), name).get(), H5T_IEEE_F64LE),
              0)
        << name;
  }
  for (const char* name :
       {"sortie_version", "manifest", "manifest_sha256", "mpi_library"}) {
    const H5Type type = AttributeType(file.get(), name);
    EXPECT_GT(H5Tis_variable_str(type.get()), 0) << name;
    EXPECT_EQ(H5Tget_cset(type.get()), H5T_CSET_UTF8) << name;
  }
}

TEST(RunFileTest, WritesEveryTaskColumnInManifestOrder) {
  const fs::path path = TestDir() / "RUN.h5";
  const RunData run = SampleRun();
  WriteRunFile(path, run.View());

  const H5File file = OpenFileReadOnly(path);
  ExpectColumnsMatch(file.get(), run);
  // Spelled out once, so a shared mistake in ExpectedColumns cannot hide.
  EXPECT_THAT(StringColumn(file.get(), "id"),
              ElementsAre("タスク-1", "naïve", "done-0", "failed-exit",
                          "failed-signal"));
  EXPECT_THAT(StringColumn(file.get(), "state"),
              ElementsAre("PENDING", "RUNNING", "DONE", "FAILED", "FAILED"));
  EXPECT_THAT(StringColumn(file.get(), "host"),
              ElementsAre("", "nœud-02", "node-01", "node-01", "nœud-02"));
  EXPECT_EQ(StringColumn(file.get(), "command")[1],
            R"x(["python3", "-c", "print(\"é\")"])x");
  EXPECT_THAT(StringColumn(file.get(), "tags"),
              ElementsAre("{}", R"({"kind":"ü"})", "{}", "{}", "{}"));
  EXPECT_THAT(Int32Column(file.get(), "exit_code"),
              ElementsAre(-1, -1, 0, 3, -1));
  EXPECT_THAT(Int32Column(file.get(), "signal"), ElementsAre(0, 0, 0, 0, 9));
}

TEST(RunFileTest, WritesTheResourceColumns) {
  const fs::path path = TestDir() / "RUN.h5";
  WriteRunFile(path, SampleRun().View());
  const H5File file = OpenFileReadOnly(path);
  const hid_t f = file.get();
  EXPECT_THAT(Int32Column(f, "nodes"), ElementsAre(1, 2, 1, 1, 1));
  EXPECT_THAT(Int32Column(f, "ranks_per_node"), ElementsAre(1, 4, 1, 1, 1));
  EXPECT_THAT(Int32Column(f, "cores_per_rank"), ElementsAre(1, 8, 16, 1, 1));
  EXPECT_THAT(Int32Column(f, "gpus_per_rank"), ElementsAre(0, 1, 0, 0, 0));
  EXPECT_THAT(Int32Column(f, "priority"), ElementsAre(0, 5, 0, 0, -3));
  const std::vector<double> est = Float64Column(f, "est_runtime");
  ASSERT_EQ(est.size(), 5u);
  EXPECT_EQ(est[1], 120.5);
  for (size_t row : {0u, 2u, 3u, 4u}) EXPECT_TRUE(std::isnan(est[row])) << row;
  // Never started: ""; a two-node placement lists both /nodes rows.
  EXPECT_THAT(StringColumn(f, "node_ids"),
              ElementsAre("", "1,0", "0", "2", "1"));
}

TEST(RunFileTest, FunctionTasksHaveAFunctionAndNoCommand) {
  const fs::path path = TestDir() / "RUN.h5";
  WriteRunFile(path, SampleRun().View());
  const H5File file = OpenFileReadOnly(path);
  EXPECT_THAT(StringColumn(file.get(), "function"),
              ElementsAre("", "", "/opt/lib/libwörk.so:run_step", "", ""));
  EXPECT_THAT(StringColumn(file.get(), "command"),
              ElementsAre("echo hi", R"x(["python3", "-c", "print(\"é\")"])x",
                          "", "exit 3", "kill -9 $$"));
}

TEST(RunFileTest, NodesGroupHasOneRowPerNodeInNodeOrder) {
  const fs::path path = TestDir() / "RUN.h5";
  const RunData run = SampleRun();
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  const H5Group nodes(H5Gopen2(file.get(), "nodes", H5P_DEFAULT));
  ASSERT_TRUE(nodes);
  EXPECT_EQ(ReadStringListAttribute(nodes.get(), "columns"), kNodeColumns);
  H5G_info_t info;
  ASSERT_GE(H5Gget_info(nodes.get(), &info), 0);
  EXPECT_EQ(info.nlinks, kNodeColumns.size());
  ExpectNodesMatch(file.get(), run.nodes);
  EXPECT_THAT(Int32Column(file.get(), "rank", "nodes"), ElementsAre(1, 2, 3));
  EXPECT_THAT(StringColumn(file.get(), "host", "nodes"),
              ElementsAre("node-01", "nœud-02", "node-01"));
  EXPECT_THAT(Int32Column(file.get(), "cores", "nodes"),
              ElementsAre(64, 128, 32));
  EXPECT_THAT(Int32Column(file.get(), "gpus", "nodes"), ElementsAre(4, 8, 0));
  for (const char* column : {"rank", "cores", "gpus"}) {
    EXPECT_GT(
        H5Tequal(DatasetType(file.get(), column, "nodes").get(), H5T_STD_I32LE),
        0)
        << column;
  }
  const H5Type host = DatasetType(file.get(), "host", "nodes");
  EXPECT_EQ(H5Tis_variable_str(host.get()), 0);
  EXPECT_EQ(H5Tget_cset(host.get()), H5T_CSET_UTF8);
  EXPECT_EQ(H5Tget_size(host.get()), std::string("nœud-02").size());
  for (const std::string& column : kNodeColumns) {
    EXPECT_EQ(ChunkRows(file.get(), column, "nodes"), 3u) << column;
  }
}

TEST(RunFileTest, NoNodesGivesEmptyNodeColumns) {
  const fs::path path = TestDir() / "RUN.h5";
  RunData run = SampleRun();
  run.nodes.clear();
  run.task_nodes.assign(run.specs.size(), "");
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  for (const std::string& column : kNodeColumns) {
    EXPECT_EQ(Rows(file.get(), column, "nodes"), 0u) << column;
    EXPECT_EQ(ChunkRows(file.get(), column, "nodes"), 0u) << column;
  }
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "host", "nodes").get()), 1u);
  EXPECT_THAT(StringColumn(file.get(), "node_ids"),
              ElementsAre("", "", "", "", ""));
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "node_ids").get()), 1u);
}

TEST(RunFileTest, NodeIdsOfAWidePlacementRoundTrip) {
  const fs::path path = TestDir() / "RUN.h5";
  RunData run = SampleRun();
  run.nodes.clear();
  for (int32_t node = 0; node < 1000; ++node) {
    run.nodes.push_back({node + 1, "nid" + std::to_string(node), 128, 0});
  }
  run.specs[1].nodes = 1000;
  run.task_nodes[1] = NodeList(0, 1000);
  run.task_nodes[3] = "999,0,500";  // placement order, not sorted
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  const std::vector<std::string> ids = StringColumn(file.get(), "node_ids");
  EXPECT_EQ(ids, run.task_nodes);
  EXPECT_EQ(ids[1].substr(0, 8), "0,1,2,3,");
  EXPECT_EQ(ids[1].substr(ids[1].size() - 8), ",998,999");
  EXPECT_EQ(Rows(file.get(), "host", "nodes"), 1000u);
  ExpectNodesMatch(file.get(), run.nodes);
}

TEST(RunFileTest, TasksGroupHoldsExactlyTheSchemaColumns) {
  const fs::path path = TestDir() / "RUN.h5";
  WriteRunFile(path, SampleRun().View());
  const H5File file = OpenFileReadOnly(path);
  const H5Group tasks(H5Gopen2(file.get(), "tasks", H5P_DEFAULT));
  ASSERT_TRUE(tasks);
  EXPECT_EQ(ReadStringListAttribute(tasks.get(), "columns"), kColumns);
  EXPECT_EQ(ReadStringListAttribute(tasks.get(), "blobs"), kBlobs);
  H5G_info_t info;
  ASSERT_GE(H5Gget_info(tasks.get(), &info), 0);
  EXPECT_EQ(info.nlinks, kColumns.size() + kBlobDatasets.size());
  for (const std::string& column : kColumns) {
    EXPECT_EQ(Rows(file.get(), column), 5u) << column;
  }
  for (const std::string& blob : kBlobs) {
    EXPECT_EQ(Rows(file.get(), blob + "_offsets"), 6u) << blob;
  }
}

TEST(RunFileTest, ColumnTypesMatchSchema) {
  const fs::path path = TestDir() / "RUN.h5";
  WriteRunFile(path, SampleRun().View());
  const H5File file = OpenFileReadOnly(path);

  const H5Type state = DatasetType(file.get(), "state");
  EXPECT_EQ(H5Tget_class(state.get()), H5T_STRING);
  EXPECT_EQ(H5Tis_variable_str(state.get()), 0);
  EXPECT_EQ(H5Tget_size(state.get()), size_t{kStateNameWidth});
  EXPECT_EQ(H5Tget_strpad(state.get()), H5T_STR_NULLPAD);
  EXPECT_EQ(H5Tget_cset(state.get()), H5T_CSET_ASCII);

  for (const std::string& column : kTextColumns) {
    const H5Type type = DatasetType(file.get(), column);
    EXPECT_EQ(H5Tget_class(type.get()), H5T_STRING) << column;
    EXPECT_EQ(H5Tis_variable_str(type.get()), 0) << column;
    EXPECT_EQ(H5Tget_strpad(type.get()), H5T_STR_NULLPAD) << column;
    EXPECT_EQ(H5Tget_cset(type.get()), H5T_CSET_UTF8) << column;
  }
  // Width is the longest value in bytes: "failed-signal" beats "タスク-1"
  // (11 bytes); "" (host -1) still makes a 1-byte-wide column possible.
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "id").get()), 13u);
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "host").get()),
            std::string("nœud-02").size());
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "tags").get()),
            std::string(R"({"kind":"ü"})").size());
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "node_ids").get()), 3u);
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "function").get()),
            std::string("/opt/lib/libwörk.so:run_step").size());

  for (const std::string& column : kInt32Columns) {
    EXPECT_GT(H5Tequal(DatasetType(file.get(), column).get(), H5T_STD_I32LE), 0)
        << column;
  }
  for (const std::string& column : kFloat64Columns) {
    EXPECT_GT(H5Tequal(DatasetType(file.get(), column).get(), H5T_IEEE_F64LE),
              0)
        << column;
  }
}

// Dataset `path` is chunked, `chunk_rows` rows a chunk, and filtered by
// shuffle, then deflate at level 1.
void ExpectShuffledAndDeflated(hid_t file, const std::string& path,
                               hsize_t chunk_rows) {
  SCOPED_TRACE(path);
  const H5Dataset dataset = OpenDataset(file, path);
  const H5Plist dcpl(H5Dget_create_plist(dataset.get()));
  ASSERT_EQ(H5Pget_layout(dcpl.get()), H5D_CHUNKED);
  hsize_t chunk[1] = {0};
  ASSERT_EQ(H5Pget_chunk(dcpl.get(), 1, chunk), 1);
  EXPECT_EQ(chunk[0], chunk_rows);
  ASSERT_EQ(H5Pget_nfilters(dcpl.get()), 2);
  unsigned flags = 0;
  size_t count = 1;
  unsigned level = 0;
  EXPECT_EQ(H5Pget_filter2(dcpl.get(), 0, &flags, &count, &level, 0, nullptr,
                           nullptr),
            H5Z_FILTER_SHUFFLE);
  count = 1;
  EXPECT_EQ(H5Pget_filter2(dcpl.get(), 1, &flags, &count, &level, 0, nullptr,
                           nullptr),
            H5Z_FILTER_DEFLATE);
  EXPECT_EQ(level, 1u);
}

TEST(RunFileTest, ColumnsAreChunkedWithShuffleThenDeflateLevel1) {
  const fs::path path = TestDir() / "RUN.h5";
  const RunData run = SampleRun();
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  // A chunk never exceeds a fixed-size dataset: 5 rows, 3 nodes, 13 events.
  for (const std::string& column : kColumns) {
    ExpectShuffledAndDeflated(file.get(), "tasks/" + column, 5);
  }
  for (const std::string& column : kNodeColumns) {
    ExpectShuffledAndDeflated(file.get(), "nodes/" + column, 3);
  }
  for (const std::string& column : kEventColumns) {
    ExpectShuffledAndDeflated(file.get(), "events/" + column, 13);
  }
  // Blobs hold a few KiB here, so one chunk of all their bytes.
  size_t stderr_bytes = 0;
  for (const TaskNotes& notes : run.notes) {
    stderr_bytes += notes.stderr_tail.size();
  }
  ASSERT_GT(stderr_bytes, kOutputTailBytes);
  ExpectShuffledAndDeflated(file.get(), "tasks/stderr_tail_blob", stderr_bytes);
  ExpectShuffledAndDeflated(file.get(), "tasks/stderr_tail_offsets", 6);
  ExpectShuffledAndDeflated(file.get(), "tasks/stdout_tail_offsets", 6);
}

TEST(RunFileTest, ZeroTasksStillHasEveryColumnAndAttribute) {
  const fs::path path = TestDir() / "RUN.h5";
  const RunData empty;
  WriteRunFile(path, empty.View());
  const H5File file = OpenFileReadOnly(path);
  EXPECT_EQ(ReadIntAttribute(file.get(), "schema_version"), 1);
  EXPECT_EQ(ReadStringAttribute(file.get(), "manifest"), "");
  for (const std::string& column : kColumns) {
    EXPECT_EQ(Rows(file.get(), column), 0u) << column;
  }
  for (const std::string& column : kNodeColumns) {
    EXPECT_EQ(Rows(file.get(), column, "nodes"), 0u) << column;
  }
  EXPECT_TRUE(StringColumn(file.get(), "id").empty());
  EXPECT_TRUE(Int32Column(file.get(), "cores", "nodes").empty());
  EXPECT_GT(
      H5Tequal(DatasetType(file.get(), "est_runtime").get(), H5T_IEEE_F64LE),
      0);
  EXPECT_TRUE(Int32Column(file.get(), "rank").empty());
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "command").get()), 1u);
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "state").get()),
            size_t{kStateNameWidth});
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "reason").get()), 1u);
  for (const std::string& blob : kBlobs) {
    EXPECT_EQ(Rows(file.get(), blob + "_blob"), 0u) << blob;
    EXPECT_THAT(Offsets(file.get(), blob), ElementsAre(0)) << blob;
  }
  for (const std::string& column : kEventColumns) {
    EXPECT_EQ(Rows(file.get(), column, "events"), 0u) << column;
  }
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "event", "events").get()),
            size_t{kStateNameWidth});
}

TEST(RunFileTest, WritesReasonsAndOutputTailsByteForByte) {
  const fs::path path = TestDir() / "RUN.h5";
  const RunData run = SampleRun();
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  const hid_t f = file.get();
  EXPECT_THAT(StringColumn(f, "reason"),
              ElementsAre("", "", "", "exit status 3", "killed by signal 9"));
  // Spelled out: a NUL first, bytes that are not UTF-8, a cut character.
  const std::string binary = std::string("\0bin\xff\xfe", 6) + "\xe2\x9c";
  EXPECT_THAT(BlobValues(f, "stdout_tail"),
              ElementsAre("", "step 1 of 9\n", "hi\n", "", binary));
  const std::vector<std::string> err = BlobValues(f, "stderr_tail");
  ASSERT_EQ(err.size(), 5u);
  EXPECT_EQ(err[3], "Traceback:\nValueError: ü\n");
  EXPECT_EQ(err[4].size(), kOutputTailBytes);
  EXPECT_EQ(err[4], AwkwardTail(kOutputTailBytes));
  // The blob is the tails back to back: no padding, no separators.
  EXPECT_EQ(BlobBytes(f, "stdout_tail"), "step 1 of 9\nhi\n" + binary);
  EXPECT_THAT(Offsets(f, "stdout_tail"), ElementsAre(0, 0, 12, 15, 15, 23));
}

TEST(RunFileTest, TailBlobsAreBytesAndOffsetsInt64) {
  const fs::path path = TestDir() / "RUN.h5";
  WriteRunFile(path, SampleRun().View());
  const H5File file = OpenFileReadOnly(path);
  for (const std::string& blob : kBlobs) {
    SCOPED_TRACE(blob);
    EXPECT_GT(
        H5Tequal(DatasetType(file.get(), blob + "_blob").get(), H5T_STD_U8LE),
        0);
    EXPECT_GT(H5Tequal(DatasetType(file.get(), blob + "_offsets").get(),
                       H5T_STD_I64LE),
              0);
    EXPECT_EQ(Rows(file.get(), blob + "_offsets"), 6u);  // tasks + 1
    const std::vector<int64_t> offsets = Offsets(file.get(), blob);
    EXPECT_EQ(offsets.front(), 0);
    EXPECT_EQ(static_cast<hsize_t>(offsets.back()),
              Rows(file.get(), blob + "_blob"));
  }
}

TEST(RunFileTest, RunWithoutOutputHasEmptyBlobsAndZeroOffsets) {
  const fs::path path = TestDir() / "RUN.h5";
  RunData run = SampleRun();
  run.notes.assign(run.specs.size(), TaskNotes{});
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  for (const std::string& blob : kBlobs) {
    EXPECT_EQ(Rows(file.get(), blob + "_blob"), 0u) << blob;
    EXPECT_EQ(ChunkRows(file.get(), blob + "_blob"), 0u) << blob;
    EXPECT_THAT(Offsets(file.get(), blob), ElementsAre(0, 0, 0, 0, 0, 0));
    EXPECT_THAT(BlobValues(file.get(), blob), ElementsAre("", "", "", "", ""));
  }
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "reason").get()), 1u);
  EXPECT_THAT(StringColumn(file.get(), "reason"),
              ElementsAre("", "", "", "", ""));
}

TEST(RunFileTest, EveryStateIsWrittenByItsName) {
  for (size_t state = 0; state < kTaskStateCount; ++state) {
    const std::string_view name = StateName(static_cast<TaskState>(state));
    EXPECT_LE(name.size(), size_t{kStateNameWidth}) << name;
    EXPECT_NE(name, "UNKNOWN") << state;
  }
  const fs::path path = TestDir() / "RUN.h5";
  const RunData run = LifecycleRun();
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  EXPECT_THAT(StringColumn(file.get(), "state"),
              ElementsAre("FAILED", "SKIPPED", "TIMEOUT", "DONE", "INTERRUPTED",
                          "FAILED", "DONE"));
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "state").get()),
            size_t{kStateNameWidth});
  // The Latin-1 byte of the launch error is stored as it came.
  EXPECT_EQ(StringColumn(file.get(), "reason")[5],
            "exec /scratch/caf\xe9/run: No such file or directory");
  ExpectColumnsMatch(file.get(), run);
}

TEST(RunFileTest, EventsGroupHasOneRowPerEventInOrder) {
  const fs::path path = TestDir() / "RUN.h5";
  const RunData run = SampleRun();
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  const H5Group events(H5Gopen2(file.get(), "events", H5P_DEFAULT));
  ASSERT_TRUE(events);
  EXPECT_EQ(ReadStringListAttribute(events.get(), "columns"), kEventColumns);
  H5G_info_t info;
  ASSERT_GE(H5Gget_info(events.get(), &info), 0);
  EXPECT_EQ(info.nlinks, kEventColumns.size());
  ExpectEventsMatch(file.get(), run.events);
  // Spelled out once, so a shared mistake in ExpectEventsMatch cannot hide.
  EXPECT_THAT(StringColumn(file.get(), "event", "events"),
              ElementsAre("STARTED", "STARTED", "STARTED", "STARTED", "FAILED",
                          "DONE", "TIMEOUT", "STARTED", "STARTED", "FAILED",
                          "INTERRUPTED", "STARTED", "FAILED"));
  EXPECT_THAT(Int32Column(file.get(), "task", "events"),
              ElementsAre(2, 1, 3, 4, 3, 2, 4, 3, 4, 3, 4, 4, 4));
  EXPECT_THAT(Int32Column(file.get(), "attempt", "events"),
              ElementsAre(1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3));
  for (const char* column : {"task", "attempt", "rank"}) {
    EXPECT_GT(H5Tequal(DatasetType(file.get(), column, "events").get(),
                       H5T_STD_I32LE),
              0)
        << column;
  }
  EXPECT_GT(
      H5Tequal(DatasetType(file.get(), "time", "events").get(), H5T_IEEE_F64LE),
      0);
  const H5Type event = DatasetType(file.get(), "event", "events");
  EXPECT_EQ(H5Tis_variable_str(event.get()), 0);
  EXPECT_EQ(H5Tget_size(event.get()), size_t{kStateNameWidth});
  EXPECT_EQ(H5Tget_strpad(event.get()), H5T_STR_NULLPAD);
  EXPECT_EQ(H5Tget_cset(event.get()), H5T_CSET_ASCII);
}

TEST(RunFileTest, NoEventsGiveEmptyEventColumns) {
  const fs::path path = TestDir() / "RUN.h5";
  RunData run = SampleRun();
  run.events.clear();
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  const H5Group events(H5Gopen2(file.get(), "events", H5P_DEFAULT));
  EXPECT_EQ(ReadStringListAttribute(events.get(), "columns"), kEventColumns);
  for (const std::string& column : kEventColumns) {
    EXPECT_EQ(Rows(file.get(), column, "events"), 0u) << column;
    EXPECT_EQ(ChunkRows(file.get(), column, "events"), 0u) << column;
  }
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "event", "events").get()),
            size_t{kStateNameWidth});
}

TEST(RunFileTest, LongReasonsAreCutAtACharacterBoundary) {
  const fs::path path = TestDir() / "RUN.h5";
  RunData run = SampleRun();
  const std::string ellipsis = "…";
  run.notes[0].reason = std::string(300, 'x');
  // The cut (byte 253) falls on the second byte of "ü", then of "✓".
  run.notes[1].reason = std::string(252, 'y') + "ü" + std::string(100, 'z');
  run.notes[2].reason = std::string(256, 'w');  // exactly the cap: kept
  run.notes[3].reason = std::string(251, 'v') + "✓tail";
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  const std::vector<std::string> reasons = StringColumn(file.get(), "reason");
  ASSERT_EQ(reasons.size(), 5u);
  EXPECT_EQ(reasons[0], std::string(253, 'x') + ellipsis);
  EXPECT_EQ(reasons[1], std::string(252, 'y') + ellipsis);
  EXPECT_EQ(reasons[2], run.notes[2].reason);
  EXPECT_EQ(reasons[3], std::string(251, 'v') + ellipsis);
  EXPECT_EQ(reasons[4], run.notes[4].reason);
  EXPECT_EQ(H5Tget_size(DatasetType(file.get(), "reason").get()), 256u);
}

TEST(RunFileTest, HundredThousandTasksRoundTripAcrossChunkBoundaries) {
  const fs::path path = TestDir() / "RUN.h5";
  constexpr size_t kRows = 100'000;
  const RunData run = ManyTasks(kRows, 77'777);
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);

  for (const std::string& column : kColumns) {
    SCOPED_TRACE(column);
    EXPECT_EQ(Rows(file.get(), column), kRows);
    const H5Type type = DatasetType(file.get(), column);
    const hsize_t chunk_bytes =
        ChunkRows(file.get(), column) * H5Tget_size(type.get());
    // Small enough for HDF5's 1 MiB chunk cache, big enough to compress.
    EXPECT_LE(chunk_bytes, 256u * 1024) << column;
    EXPECT_GE(chunk_bytes, 64u * 1024) << column;
  }
  ExpectColumnsMatch(file.get(), run);

  // The rows either side of chunk boundaries, where an off-by-one in the
  // hyperslab arithmetic would show.
  const std::vector<std::string> ids = StringColumn(file.get(), "id");
  const std::vector<double> end = Float64Column(file.get(), "end_time");
  const size_t id_chunk = ChunkRows(file.get(), "id");
  const size_t end_chunk = ChunkRows(file.get(), "end_time");
  ASSERT_GT(kRows, 2 * id_chunk);
  for (size_t row : {size_t{0}, id_chunk - 1, id_chunk, id_chunk + 1, kRows / 2,
                     kRows - 1}) {
    EXPECT_EQ(ids[row], "task-" + std::to_string(row));
  }
  for (size_t row : {end_chunk - 1, end_chunk, 2 * end_chunk, kRows - 1}) {
    EXPECT_EQ(end[row], 1.7e9 + 2.0 * static_cast<double>(row));
  }
  const std::vector<std::string> commands = StringColumn(file.get(), "command");
  EXPECT_EQ(commands[77'776], "./simulate --seed 77776");
  EXPECT_EQ(commands[77'777].size(),
            1000 + std::string("./simulate --seed 77777").size());
  EXPECT_EQ(commands[77'778], "./simulate --seed 77778");

  // Tails either side of blob chunk boundaries: the row whose bytes cross
  // each boundary, and its neighbours.
  const std::vector<int64_t> offsets = Offsets(file.get(), "stdout_tail");
  const auto blob_chunk =
      static_cast<int64_t>(ChunkRows(file.get(), "stdout_tail_blob"));
  EXPECT_EQ(blob_chunk, 128 * 1024);
  ASSERT_GT(offsets.back(), 3 * blob_chunk);
  const std::vector<std::string> tails = BlobValues(file.get(), "stdout_tail");
  for (int64_t boundary = blob_chunk; boundary < offsets.back();
       boundary += blob_chunk) {
    const auto row = static_cast<size_t>(
        std::upper_bound(offsets.begin(), offsets.end(), boundary) -
        offsets.begin() - 1);
    for (size_t near = row == 0 ? 0 : row - 1; near <= row + 1 && near < kRows;
         ++near) {
      EXPECT_EQ(tails[near], run.notes[near].stdout_tail) << "row " << near;
    }
  }
  EXPECT_GT(Rows(file.get(), "task", "events"),
            ChunkRows(file.get(), "task", "events") * 2);
}

// The master packs the spec columns once, on another thread, and every
// snapshot reuses them while the rest of the run changes.
TEST(RunFileTest, SpecColumnsPackedAheadServeEverySnapshot) {
  const fs::path path = TestDir() / "RUN.h5";
  RunData run = ManyTasks(20'000, 12'345);
  const std::shared_ptr<const SpecColumns> packed =
      PackSpecColumns(run.specs, run.View().logs_dir, false);
  WriteRunFile(path, run.View(), packed.get());
  ExpectColumnsMatch(OpenFileReadOnly(path).get(), run);

  run.status[7].state = TaskState::kFailed;
  run.status[7].exit_code = 3;
  WriteRunFile(path, run.View(), packed.get());
  const H5File file = OpenFileReadOnly(path);
  ExpectColumnsMatch(file.get(), run);
  EXPECT_EQ(StringColumn(file.get(), "state")[7], "FAILED");

  const RunData other = ManyTasks(10, 3);
  EXPECT_THROW(WriteRunFile(path, other.View(), packed.get()),
               std::logic_error);
}

TEST(RunFileTest, LeavesNoTmpFileBehind) {
  const fs::path dir = TestDir();
  WriteRunFile(dir / "RUN.h5", SampleRun().View());
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename());
  }
  EXPECT_THAT(names, ElementsAre("RUN.h5"));
}

TEST(RunFileTest, ReplacesAnExistingFile) {
  const fs::path path = TestDir() / "RUN.h5";
  std::ofstream(path) << "not an HDF5 file";
  const RunData many = ManyTasks(10, 99);
  WriteRunFile(path, many.View());
  EXPECT_EQ(Rows(OpenFileReadOnly(path).get(), "id"), 10u);

  const RunData run = SampleRun();
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  ExpectColumnsMatch(file.get(), run);
  EXPECT_FALSE(fs::exists(path.string() + ".tmp"));
}

TEST(RunFileTest, MissingDirectoryThrowsAndCreatesNothing) {
  const fs::path dir = TestDir() / "missing";
  try {
    WriteRunFile(dir / "RUN.h5", SampleRun().View());
    FAIL() << "expected H5Error";
  } catch (const H5Error& error) {
    EXPECT_EQ(error.call(), "H5Fcreate");
    EXPECT_THAT(error.what(), HasSubstr((dir / "RUN.h5.tmp").string()));
    // HDF5's own stack, down to the errno of the failed open().
    EXPECT_THAT(error.what(), HasSubstr("No such file or directory"));
  }
  EXPECT_FALSE(fs::exists(dir));
}

TEST(RunFileTest, FailedWriteKeepsThePreviousFile) {
  const fs::path path = TestDir() / "RUN.h5";
  const RunData run = SampleRun();
  WriteRunFile(path, run.View());
  // A directory where the tmp file must go makes H5Fcreate fail.
  fs::create_directory(path.string() + ".tmp");
  EXPECT_THROW(WriteRunFile(path, ManyTasks(10, 99).View()), H5Error);
  ExpectColumnsMatch(OpenFileReadOnly(path).get(), run);
  EXPECT_TRUE(fs::is_directory(path.string() + ".tmp"));  // not ours to delete
}

TEST(RunFileTest, FailedRenameRemovesTheTmpFile) {
  const fs::path path = TestDir() / "RUN.h5";
  // rename() cannot replace a non-empty directory, so the last step fails
  // after the tmp file has been fully written.
  fs::create_directories(path / "keep");
  EXPECT_THROW(WriteRunFile(path, SampleRun().View()), std::system_error);
  EXPECT_FALSE(fs::exists(path.string() + ".tmp"));
  EXPECT_TRUE(fs::is_directory(path / "keep"));
}

TEST(RunFileTest, RejectsInconsistentViewsWithoutWriting) {
  const fs::path path = TestDir() / "RUN.h5";
  RunData short_status = SampleRun();
  short_status.status.pop_back();
  EXPECT_THROW(WriteRunFile(path, short_status.View()), std::runtime_error);
  RunData bad_host = SampleRun();
  bad_host.status[2].host = 2;  // only hosts 0 and 1 exist
  EXPECT_THROW(WriteRunFile(path, bad_host.View()), std::runtime_error);
  RunData short_nodes = SampleRun();
  short_nodes.task_nodes.pop_back();
  EXPECT_THROW(WriteRunFile(path, short_nodes.View()), std::runtime_error);
  RunData short_notes = SampleRun();
  short_notes.notes.pop_back();
  try {
    WriteRunFile(path, short_notes.View());
    ADD_FAILURE() << "accepted 4 notes for 5 tasks";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(), HasSubstr("4 notes for 5 tasks"));
  }
  RunData long_notes = SampleRun();
  long_notes.notes.emplace_back();
  EXPECT_THROW(WriteRunFile(path, long_notes.View()), std::runtime_error);
  // Events name an existing task row and a start or an end.
  RunData bad_row = SampleRun();
  bad_row.events[3].row = 5;
  try {
    WriteRunFile(path, bad_row.View());
    ADD_FAILURE() << "accepted an event for task row 5 of 5";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(),
                HasSubstr("event 3 names task row 5 but the run has 5 tasks"));
  }
  for (const auto state : {TaskState::kPending, static_cast<TaskState>(7),
                           static_cast<TaskState>(255)}) {
    RunData bad_state = SampleRun();
    bad_state.events[5].state = state;
    try {
      WriteRunFile(path, bad_state.View());
      ADD_FAILURE() << "accepted event state " << static_cast<int>(state);
    } catch (const std::runtime_error& error) {
      EXPECT_THAT(error.what(),
                  HasSubstr("event 5 of task 'done-0' has state " +
                            std::to_string(static_cast<int>(state))));
    }
  }
  // Only /nodes rows 0, 1 and 2 exist, and lists are plain "i,j,k".
  for (const char* list : {"3", "0,3", "0,,1", ",0", "0,", "a", "-1", " 1",
                           "1 ", "1;2", "9999999999"}) {
    RunData bad_list = SampleRun();
    bad_list.task_nodes[2] = list;
    try {
      WriteRunFile(path, bad_list.View());
      ADD_FAILURE() << "accepted node list \"" << list << '"';
    } catch (const std::runtime_error& error) {
      EXPECT_THAT(error.what(), HasSubstr("task 'done-0' ran on nodes \"" +
                                          std::string(list) + '"'));
    }
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path.string() + ".tmp"));
}

TEST(RunFileH5Test, ErrorsNameTheCallAndPrintNothing) {
  const fs::path path = TestDir() / "absent.h5";
  ::testing::internal::CaptureStderr();
  try {
    OpenFileReadOnly(path);
    ADD_FAILURE() << "expected H5Error";
  } catch (const H5Error& error) {
    EXPECT_EQ(error.call(), "H5Fopen");
    EXPECT_THAT(error.what(),
                HasSubstr("H5Fopen failed while opening " + path.string()));
  }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(RunFileH5Test, HandlesAreMoveOnlyAndClose) {
  static_assert(!std::is_copy_constructible_v<H5Type>);
  static_assert(!std::is_copy_assignable_v<H5Type>);
  static_assert(std::is_nothrow_move_constructible_v<H5Type>);
  hid_t id = H5I_INVALID_HID;
  {
    H5Type type = MakeStringType(4, H5T_CSET_ASCII);
    id = type.get();
    EXPECT_GT(H5Iis_valid(id), 0);
    H5Type moved(std::move(type));
    EXPECT_FALSE(type);  // NOLINT(bugprone-use-after-move): that is the test
    EXPECT_EQ(moved.get(), id);
  }
  EXPECT_LE(H5Iis_valid(id), 0);
}

TEST(RunFileTest, H5pyAndPandasReadTheFile) {
  if (!PythonHasH5py()) GTEST_SKIP() << "/usr/bin/python3 lacks h5py/pandas";
  const fs::path dir = TestDir();
  const RunData run = SampleRun();
  WriteRunFile(dir / "RUN.h5", run.View());
  std::ofstream ids(dir / "ids.txt");
  for (const TaskSpec& spec : run.specs) ids << spec.id << '\n';
  ids.close();

  const char* script = R"(
import sys, h5py, numpy as np, pandas as pd
path, ids_path = sys.argv[1:]
expected = open(ids_path, encoding='utf-8').read().splitlines()
with h5py.File(path, 'r') as f:
    ids = list(f['tasks/id'].asstr()[:])
    assert ids == expected, (ids, expected)
    assert f.attrs['schema_version'] == 1
    assert f.attrs['manifest'] == '/home/\u00fc/manifest.jsonl', f.attrs['manifest']
    assert np.isnan(f.attrs['finished_at'])
    t = f['tasks']
    names = list(t.attrs['columns'])
    df = pd.DataFrame({n: t[n].asstr()[:] if t[n].dtype.kind == 'S' else t[n][:]
                       for n in names})
assert list(df.columns) == names and len(df) == len(expected), df
assert df.state.tolist() == ['PENDING', 'RUNNING', 'DONE', 'FAILED', 'FAILED']
assert df.host.tolist() == ['', 'n\u0153ud-02', 'node-01', 'node-01', 'n\u0153ud-02']
assert df.exit_code.dtype == np.int32 and df.end_time.dtype == np.float64
runtime = (df.end_time - df.start_time).groupby(df.state).sum()
assert runtime.to_dict() == {'DONE': 1.5, 'FAILED': 5.0, 'PENDING': 0.0, 'RUNNING': 0.0}, runtime
assert df.node_ids.tolist() == ['', '1,0', '0', '2', '1'], df.node_ids
assert df.nodes.dtype == np.int32 and df.est_runtime.dtype == np.float64
assert np.isnan(df.est_runtime[0]) and df.est_runtime[1] == 120.5
assert df.function[2] == '/opt/lib/libw\u00f6rk.so:run_step' and df.command[2] == ''
with h5py.File(path, 'r') as f:
    g = f['nodes']
    nodes = pd.DataFrame({n: g[n].asstr()[:] if g[n].dtype.kind == 'S' else g[n][:]
                          for n in g.attrs['columns']})
assert list(nodes.columns) == ['rank', 'host', 'cores', 'gpus'], nodes
assert nodes.host.tolist() == ['node-01', 'n\u0153ud-02', 'node-01'], nodes
assert nodes.cores.dtype == np.int32 and nodes.cores.tolist() == [64, 128, 32]
print('ok')
)";
  const CommandResult result = RunCommand(
      "/usr/bin/python3 -c " + ShellQuote(script) + " " +
      ShellQuote(dir / "RUN.h5") + " " + ShellQuote(dir / "ids.txt"));
  EXPECT_EQ(result.exit_status, 0) << result.output;
  EXPECT_EQ(result.output, "ok\n");
}

// Two 8-core nodes; node 0 is full (8 cores) from 1005 to 1010, node 1
// peaks at 6. With `crowd`, one more core on node 0 overfills it.
RunData BusyRun(bool crowd) {
  RunData run;
  run.hosts = {"n0", "n1"};
  run.nodes = {{1, "n0", 8, 0}, {2, "n1", 8, 0}};
  const auto add = [&run](const char* id, int32_t nodes, int32_t ranks,
                          int32_t cores, const char* node_ids, TaskState state,
                          double start, double end) {
    TaskSpec spec = Spec(id, {"true"}, true);
    spec.nodes = nodes;
    spec.ranks_per_node = ranks;
    spec.cores_per_rank = cores;
    run.specs.push_back(spec);
    const bool started = state != TaskState::kPending;
    const bool done = state == TaskState::kDone;
    const int32_t node = started ? node_ids[0] - '0' : -1;
    run.status.push_back(Status(state, done ? 0 : -1, 0, started ? 1 : 0,
                                started ? node + 1 : -1, node, start, end));
    run.task_nodes.emplace_back(node_ids);
    run.notes.emplace_back();
    const auto row = static_cast<uint32_t>(run.specs.size() - 1);
    if (started) {
      run.events.push_back(Event(row, 1, start, TaskState::kRunning, node + 1));
    }
    if (done) run.events.push_back(Event(row, 1, end, state, node + 1));
  };
  add("a", 2, 1, 4, "0,1", TaskState::kDone, 1000, 1010);
  add("b", 1, 1, 4, "0", TaskState::kDone, 1005, 1015);
  add("c", 1, 1, 4, "1", TaskState::kDone, 1010, 1020);  // starts as a ends
  add("d", 1, 2, 1, "1", TaskState::kRunning, 1018, kNoTime);
  add("e", 1, 1, 1, "", TaskState::kPending, kNoTime, kNoTime);
  if (crowd) add("f", 1, 1, 1, "0", TaskState::kDone, 1006, 1007);
  return run;
}

// The ```python block of docs/hdf5.md that follows `marker`, or "".
std::string DocsPythonBlock(const std::string& marker) {
  const fs::path docs =
      fs::path(__FILE__).parent_path().parent_path().parent_path() /
      "docs/hdf5.md";
  std::ifstream in(docs);
  const std::string text((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  const size_t at = text.find(marker);
  const std::string fence = "```python\n";
  const size_t begin = text.find(fence, at);
  if (at == std::string::npos || begin == std::string::npos) return "";
  const size_t end = text.find("```", begin + fence.size());
  if (end == std::string::npos) return "";
  return text.substr(begin + fence.size(), end - begin - fence.size());
}

TEST(RunFileTest, DocsNodeJoinExampleComputesBusyCores) {
  if (!PythonHasH5py()) GTEST_SKIP() << "/usr/bin/python3 lacks h5py/pandas";
  const std::string example =
      DocsPythonBlock("run_file_test.cc runs this block (node join)");
  if (example.empty()) GTEST_SKIP() << "docs/hdf5.md example not found";
  const fs::path dir = TestDir();
  fs::create_directories(dir / "busy");
  fs::create_directories(dir / "crowded");
  WriteRunFile(dir / "busy/RUN.h5", BusyRun(false).View());
  WriteRunFile(dir / "crowded/RUN.h5", BusyRun(true).View());
  const std::string checks = R"(
assert busy.tolist() == [80.0, 80.0], busy
assert busy_at_t.tolist() == [0, 2], busy_at_t
assert peak.tolist() == [8, 6], peak
print('ok')
)";
  const std::string script = ShellQuote(example + checks);
  const CommandResult good = RunCommand("cd " + ShellQuote(dir / "busy") +
                                        " && /usr/bin/python3 -c " + script);
  EXPECT_EQ(good.exit_status, 0) << good.output;
  EXPECT_THAT(good.output, ::testing::EndsWith("ok\n"));
  EXPECT_THAT(good.output, HasSubstr("0.5"));  // 80 core-s / (8 cores x 20 s)
  const CommandResult bad = RunCommand("cd " + ShellQuote(dir / "crowded") +
                                       " && /usr/bin/python3 -c " + script);
  EXPECT_NE(bad.exit_status, 0) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("nodes holding more cores than they have"));
}

TEST(RunFileTest, CheckScriptAcceptsRunFilesAndRejectsOthers) {
  if (!PythonHasH5py()) GTEST_SKIP() << "/usr/bin/python3 lacks h5py/pandas";
  const fs::path script =
      fs::path(__FILE__).parent_path().parent_path() / "tools/check_run_h5.py";
  if (!fs::exists(script)) GTEST_SKIP() << script << " not found";
  const fs::path dir = TestDir();
  WriteRunFile(dir / "RUN.h5", SampleRun().View());
  const RunData empty;
  WriteRunFile(dir / "EMPTY.h5", empty.View());
  WriteRunFile(dir / "BUSY.h5", BusyRun(false).View());
  const std::string check =
      "/usr/bin/python3 " + ShellQuote(script) + " --check ";
  for (const char* name : {"RUN.h5", "EMPTY.h5", "BUSY.h5"}) {
    const CommandResult result = RunCommand(check + ShellQuote(dir / name));
    EXPECT_EQ(result.exit_status, 0) << name << ": " << result.output;
  }
  {  // A file with the right attributes but a column missing; closed (and
     // so unlocked) before h5py opens it.
    const H5File file(H5Fcreate((dir / "BAD.h5").c_str(), H5F_ACC_TRUNC,
                                H5P_DEFAULT, H5P_DEFAULT));
    WriteAttribute(file.get(), "schema_version", int32_t{1});
    H5Group(
        H5Gcreate2(file.get(), "tasks", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  }
  const CommandResult bad = RunCommand(check + ShellQuote(dir / "BAD.h5"));
  EXPECT_NE(bad.exit_status, 0) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("tasks/id"));

  RunData lying = SampleRun();
  lying.status[2].exit_code = 3;  // DONE, yet it failed
  WriteRunFile(dir / "LYING.h5", lying.View());
  const CommandResult wrong = RunCommand(check + ShellQuote(dir / "LYING.h5"));
  EXPECT_NE(wrong.exit_status, 0) << wrong.output;
  EXPECT_THAT(wrong.output, HasSubstr("'done-0' (row 2, state 'DONE')"));

  RunData crowded = SampleRun();
  crowded.nodes[0].cores = 40;  // naïve's 32 cores and done-0's 16 overlap
  WriteRunFile(dir / "CROWDED.h5", crowded.View());
  const CommandResult over = RunCommand(check + ShellQuote(dir / "CROWDED.h5"));
  EXPECT_NE(over.exit_status, 0) << over.output;
  EXPECT_THAT(over.output, HasSubstr("node 0 ('node-01') has 40 cores but "
                                     "tasks held 48 at once, at time "
                                     "1700000001.5"));
  crowded.nodes[0].cores = 48;  // exactly full is fine
  WriteRunFile(dir / "FULL.h5", crowded.View());
  const CommandResult full = RunCommand(check + ShellQuote(dir / "FULL.h5"));
  EXPECT_EQ(full.exit_status, 0) << full.output;

  WriteRunFile(dir / "CROWDED_BUSY.h5", BusyRun(true).View());
  const CommandResult crowded_busy =
      RunCommand(check + ShellQuote(dir / "CROWDED_BUSY.h5"));
  EXPECT_NE(crowded_busy.exit_status, 0) << crowded_busy.output;
  EXPECT_THAT(crowded_busy.output,
              HasSubstr("node 0 ('n0') has 8 cores but tasks held 9 at once, "
                        "at time 1006.0"));

  RunData short_list = SampleRun();
  short_list.task_nodes[1] = "1";  // naïve asked for 2 nodes
  WriteRunFile(dir / "SHORT.h5", short_list.View());
  const CommandResult partial =
      RunCommand(check + ShellQuote(dir / "SHORT.h5"));
  EXPECT_NE(partial.exit_status, 0) << partial.output;
  EXPECT_THAT(partial.output, HasSubstr("'naïve' (row 1, state 'RUNNING'): "
                                        "node_ids does not list one row per "
                                        "node"));
}

// Overwrites every element of the 1-D dataset `path` in the file at
// `file_path` with `values`, laid out as the dataset's own type: a
// corrupt file the writer itself would refuse to make.
template <class T>
void Overwrite(const fs::path& file_path, const std::string& path,
               const std::vector<T>& values) {
  const H5File file(H5Fopen(file_path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
  ASSERT_TRUE(file) << file_path;
  const H5Dataset dataset = OpenDataset(file.get(), path);
  const H5Type type(H5Dget_type(dataset.get()));
  ASSERT_GE(H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT,
                     values.data()),
            0);
}

// Runs `script` (Python, h5py and pandas at hand) in `dir`.
CommandResult RunPython(const fs::path& dir, const std::string& script) {
  return RunCommand("cd " + ShellQuote(dir) + " && /usr/bin/python3 -c " +
                    ShellQuote(script));
}

TEST(RunFileTest, H5pyReadsTailsReasonsAndEvents) {
  if (!PythonHasH5py()) GTEST_SKIP() << "/usr/bin/python3 lacks h5py/pandas";
  const std::string helper =
      DocsPythonBlock("Task `i`'s tail as text, in two lines of h5py");
  if (helper.empty()) GTEST_SKIP() << "docs/hdf5.md tail helper not found";
  const fs::path dir = TestDir();
  WriteRunFile(dir / "RUN.h5", LifecycleRun().View());
  const std::string script =
      "import h5py, numpy as np\n"
      "f = h5py.File('RUN.h5', 'r')\n"
      "i = 6\n" +
      helper + R"(
assert tail == 'warn\x00\n', repr(tail)  # the NUL survives
off = f['tasks/stdout_tail_offsets']
raw = f['tasks/stdout_tail_blob'][off[4]:off[5]].tobytes()
assert raw == b'partial \xe2\x9c', raw
text = raw.decode('utf-8', 'replace')
assert text.startswith('partial ') and '\ufffd' in text, text
reason = f['tasks/reason']
assert reason[5] == b'exec /scratch/caf\xe9/run: No such file or directory'
decoded = reason.asstr(errors='replace')[:]
assert decoded[5] == 'exec /scratch/caf\ufffd/run: No such file or directory'
assert decoded[1] == 'after "prep", which ended FAILED', decoded[1]
try:
    reason.asstr()[:]
    raise SystemExit('strict decoding accepted a Latin-1 byte')
except UnicodeDecodeError:
    pass
assert list(f['tasks/state'].asstr()[:]) == [
    'FAILED', 'SKIPPED', 'TIMEOUT', 'DONE', 'INTERRUPTED', 'FAILED', 'DONE']
assert list(f['tasks'].attrs['blobs']) == ['stdout_tail', 'stderr_tail']
g = f['events']
assert list(g.attrs['columns']) == ['task', 'attempt', 'time', 'event', 'rank']
assert g['task'].dtype == np.int32 and g['time'].dtype == np.float64
assert list(g['event'].asstr()[:3]) == ['STARTED', 'DONE', 'STARTED']
assert f['tasks/stdout_tail_blob'].dtype == np.uint8
assert f['tasks/stdout_tail_offsets'].dtype == np.int64
print('ok')
)";
  const CommandResult result = RunPython(dir, script);
  EXPECT_EQ(result.exit_status, 0) << result.output;
  EXPECT_EQ(result.output, "ok\n");
}

TEST(RunFileTest, DocsFailedTasksExampleShowsStderrTails) {
  if (!PythonHasH5py()) GTEST_SKIP() << "/usr/bin/python3 lacks h5py/pandas";
  const std::string example =
      DocsPythonBlock("run_file_test.cc runs this block (failed tasks)");
  if (example.empty()) GTEST_SKIP() << "docs/hdf5.md example not found";
  const fs::path dir = TestDir();
  WriteRunFile(dir / "RUN.h5", LifecycleRun().View());
  const CommandResult result = RunPython(dir, example + R"(
assert failed.id.tolist() == ['prep', 'slow', 'bad-exec'], failed.id
assert failed.stderr_tail.tolist()[0].endswith('boom\n'), failed
print('ok')
)");
  EXPECT_EQ(result.exit_status, 0) << result.output;
  EXPECT_THAT(result.output, ::testing::EndsWith("ok\n"));
  EXPECT_THAT(result.output, HasSubstr("prep: FAILED exit=1 signal=0\n"
                                       "    Traceback (most recent call "
                                       "last):\n    boom\n"));
  EXPECT_THAT(result.output, HasSubstr("slow: TIMEOUT exit=-1 signal=15\n"
                                       "    Terminated\n"));
  EXPECT_THAT(result.output,
              HasSubstr("bad-exec: FAILED exit=127 signal=0 exec "
                        "/scratch/caf\uFFFD/run: No such file or directory"));
  EXPECT_THAT(result.output, Not(HasSubstr("train")));  // SKIPPED
}

TEST(RunFileTest, DocsAttemptsExampleCountsRetriesFromEvents) {
  if (!PythonHasH5py()) GTEST_SKIP() << "/usr/bin/python3 lacks h5py/pandas";
  const std::string example =
      DocsPythonBlock("run_file_test.cc runs this block (attempts)");
  if (example.empty()) GTEST_SKIP() << "docs/hdf5.md example not found";
  const fs::path dir = TestDir();
  WriteRunFile(dir / "RUN.h5", LifecycleRun().View());
  // prep failed twice (one retry); slow timed out twice (one retry); long
  // was interrupted, then rerun (no retry used); train never started.
  const CommandResult result = RunPython(dir, example + R"(
assert per_task.index.tolist() == [0, 2, 3, 4, 5, 6], per_task
assert per_task.id.tolist() == ['prep', 'slow', 'long', 'drained',
                                'bad-exec', 'ok'], per_task
assert per_task.attempts.tolist() == [2, 2, 2, 1, 1, 1], per_task
assert per_task.retries.tolist() == [1, 1, 0, 0, 0, 0], per_task
assert per_task.loc[3, 'INTERRUPTED'] == 1 and per_task.loc[3, 'DONE'] == 1
assert per_task.loc[2, 'TIMEOUT'] == 2 and per_task.loc[2, 'DONE'] == 0
seconds = runs.groupby('event_end').seconds.sum().to_dict()
assert seconds == {'DONE': 31.0, 'FAILED': 15.0, 'INTERRUPTED': 130.0,
                   'TIMEOUT': 65.0}, seconds
print('ok')
)");
  EXPECT_EQ(result.exit_status, 0) << result.output;
  EXPECT_THAT(result.output, ::testing::EndsWith("ok\n"));
}

TEST(RunFileTest, CheckScriptValidatesEventsAndTails) {
  if (!PythonHasH5py()) GTEST_SKIP() << "/usr/bin/python3 lacks h5py/pandas";
  const fs::path script =
      fs::path(__FILE__).parent_path().parent_path() / "tools/check_run_h5.py";
  if (!fs::exists(script)) GTEST_SKIP() << script << " not found";
  const fs::path dir = TestDir();
  const std::string check =
      "/usr/bin/python3 " + ShellQuote(script) + " --check ";
  const auto check_file = [&](const char* name, const RunData& run) {
    WriteRunFile(dir / name, run.View());
    return RunCommand(check + ShellQuote(dir / name));
  };
  const CommandResult good = check_file("GOOD.h5", LifecycleRun());
  EXPECT_EQ(good.exit_status, 0) << good.output;
  const CommandResult listed =
      RunCommand("/usr/bin/python3 " + ShellQuote(script) + " --json " +
                 ShellQuote(dir / "GOOD.h5"));
  EXPECT_EQ(listed.exit_status, 0) << listed.output;
  EXPECT_THAT(listed.output, HasSubstr(R"("stderr_tail": "warn\u0000\n")"));
  EXPECT_THAT(listed.output, HasSubstr(R"("events": 19)"));

  RunData recount = LifecycleRun();
  recount.status[0].attempts = 3;  // its events show two
  const CommandResult attempts = check_file("ATTEMPTS.h5", recount);
  EXPECT_NE(attempts.exit_status, 0) << attempts.output;
  EXPECT_THAT(attempts.output,
              HasSubstr("'prep' (row 0, state 'FAILED'): attempts differs "
                        "from its latest attempt in /events"));

  // What the writer refuses to make, made by hand.
  check_file("ROW.h5", LifecycleRun());
  std::vector<int32_t> tasks =
      Int32Column(OpenFileReadOnly(dir / "ROW.h5").get(), "task", "events");
  tasks[2] = 7;
  Overwrite(dir / "ROW.h5", "events/task", tasks);
  const CommandResult row = RunCommand(check + ShellQuote(dir / "ROW.h5"));
  EXPECT_NE(row.exit_status, 0) << row.output;
  EXPECT_THAT(row.output, HasSubstr("event 2 (task 7, 'STARTED'): task "
                                    "outside 0..6"));

  check_file("NAME.h5", LifecycleRun());
  std::vector<char> names(19 * kStateNameWidth, '\0');
  for (size_t i = 0; i < 19; ++i) names[i * kStateNameWidth] = 'X';
  Overwrite(dir / "NAME.h5", "events/event", names);
  const CommandResult name = RunCommand(check + ShellQuote(dir / "NAME.h5"));
  EXPECT_NE(name.exit_status, 0) << name.output;
  EXPECT_THAT(name.output, HasSubstr("event 0 (task 6, 'X'): unknown event"));

  check_file("OFFSETS.h5", LifecycleRun());
  // Right first and last entries, but task 1's bytes would end before they
  // begin.
  std::vector<int64_t> ends =
      Offsets(OpenFileReadOnly(dir / "OFFSETS.h5").get(), "stdout_tail");
  ASSERT_EQ(ends.size(), 8u);
  ends[1] = 20;
  ends[2] = 10;
  Overwrite(dir / "OFFSETS.h5", "tasks/stdout_tail_offsets", ends);
  const CommandResult offsets =
      RunCommand(check + ShellQuote(dir / "OFFSETS.h5"));
  EXPECT_NE(offsets.exit_status, 0) << offsets.output;
  EXPECT_THAT(offsets.output,
              HasSubstr("tasks/stdout_tail_offsets does not rise from 0"));
}

// Deterministic pseudo-random numbers below `bound`.
class Lcg {
 public:
  uint32_t operator()(uint32_t bound) {
    state_ = state_ * 6364136223846793005u + 1442695040888963407u;
    return static_cast<uint32_t>(state_ >> 33) % bound;
  }

 private:
  uint64_t state_ = 42;
};

// `bytes` of log lines a simulation might end with.
std::string LogTail(size_t bytes, Lcg& next) {
  std::string tail;
  while (tail.size() < bytes) {
    tail += "step " + std::to_string(next(100'000)) + ": loss=0." +
            std::to_string(next(1'000'000)) +
            " dt=" + std::to_string(next(1000)) + "ms\n";
  }
  tail.resize(bytes);
  return tail;
}

// Notes and events of RealisticTasks row `i`: 1% of tasks end with 4 KiB
// of each output, FAILED ones with a short stderr, SKIPPED ones with a
// reason; a second attempt follows a FAILED first one.
void AddRealisticNotes(size_t i, Lcg& next, RunData* run) {
  const TaskStatus& st = run->status[i];
  TaskNotes& notes = run->notes[i];
  if (next(100) == 0) {
    notes.stdout_tail = LogTail(kOutputTailBytes, next);
    notes.stderr_tail = LogTail(kOutputTailBytes, next);
  } else if (st.state == TaskState::kFailed) {
    notes.stderr_tail =
        "error: diverged at step " + std::to_string(next(100'000)) + "\n";
  }
  const auto row = static_cast<uint32_t>(i);
  if (st.state == TaskState::kSkipped) {
    notes.reason =
        "after \"task-" + std::to_string(i / 2) + "\", which ended FAILED";
    run->events.push_back(Event(row, 0, 1.7e9 + static_cast<double>(i) * 0.01,
                                TaskState::kSkipped, -1));
  }
  for (int32_t attempt = 1; attempt <= st.attempts; ++attempt) {
    const bool last = attempt == st.attempts;
    const double start = last ? st.start_time : st.start_time - 60;
    run->events.push_back(
        Event(row, attempt, start, TaskState::kRunning, st.rank));
    if (last && st.state == TaskState::kRunning) break;
    run->events.push_back(Event(row, attempt, last ? st.end_time : start + 30,
                                last ? st.state : TaskState::kFailed, st.rank));
  }
}

// Status and placement of RealisticTasks row `i`, whose state is set.
void FillRealisticStatus(size_t i, Lcg& next, RunData* run) {
  TaskSpec& spec = run->specs[i];
  TaskStatus& st = run->status[i];
  if (st.state == TaskState::kPending || st.state == TaskState::kSkipped) {
    return;
  }
  st.attempts = next(100) < 5 ? 2 : 1;  // a retry now and then
  st.rank = 1 + static_cast<int32_t>(next(1023));
  st.host = st.rank / 64;
  run->task_nodes[i] = std::to_string(st.host);
  if (i % 50 == 0) {  // now and then a two-node MPI task
    spec.nodes = 2;
    spec.ranks_per_node = 32;
    spec.cores_per_rank = 4;
    run->task_nodes[i] += "," + std::to_string((st.host + 1) % 16);
  }
  st.start_time = 1.7e9 + static_cast<double>(i) * 0.01 + next(5000) / 1e3;
  if (st.state == TaskState::kRunning) return;
  st.end_time = st.start_time + 30 + next(600'000) / 1e3;
  if (st.state == TaskState::kTimeout) {
    st.signal = 15;
  } else {
    st.exit_code =
        st.state == TaskState::kDone ? 0 : 1 + static_cast<int32_t>(next(3));
  }
}

// Tasks that look like a real run's: numbered ids and paths, mostly DONE,
// jittered times, ranks and hosts spread over 16 nodes; notes and events as
// AddRealisticNotes makes them. Deterministic.
RunData RealisticTasks(size_t rows) {
  RunData run = SampleRun();
  run.hosts.clear();
  for (int node = 0; node < 16; ++node) {
    run.hosts.push_back("nid00" + std::to_string(1000 + node));
  }
  run.nodes.clear();
  for (int32_t node = 0; node < 16; ++node) {
    run.nodes.push_back(
        {node * 64, run.hosts[static_cast<size_t>(node)], 128, 4});
  }
  run.specs.assign(rows, TaskSpec{});
  run.status.assign(rows, TaskStatus{});
  run.task_nodes.assign(rows, "");
  run.notes.assign(rows, TaskNotes{});
  run.events.clear();
  Lcg next;
  for (size_t i = 0; i < rows; ++i) {
    const std::string n = std::to_string(i);
    TaskSpec& spec = run.specs[i];
    spec.id = "task-" + n;
    spec.command = {"./simulate --seed " + n + " --out /scratch/u/r42/" + n};
    spec.shell = true;
    spec.mutable_extras().stdout_path =
        "/scratch/u/r42/logs/task-" + n + ".out";
    spec.mutable_extras().stderr_path =
        "/scratch/u/r42/logs/task-" + n + ".err";
    spec.tags_json = R"({"group":")" + std::to_string(i % 10) + "\"}";
    TaskStatus& st = run.status[i];
    const uint32_t roll = next(100);
    st.state = roll < 89   ? TaskState::kDone
               : roll < 93 ? TaskState::kFailed
               : roll < 94 ? TaskState::kTimeout
               : roll < 95 ? TaskState::kSkipped
               : roll < 98 ? TaskState::kRunning
                           : TaskState::kPending;
    FillRealisticStatus(i, next, &run);
    AddRealisticNotes(i, next, &run);
  }
  // The master records events as they happen.
  std::stable_sort(
      run.events.begin(), run.events.end(),
      [](const TaskEvent& a, const TaskEvent& b) { return a.time < b.time; });
  return run;
}

// A tiny-size guard, not the benchmark: fails only on gross regressions
// (per-row writes, variable-length strings, tails padded to 4 KiB per row).
// SORTIE_RUN_FILE_BENCH_ROWS=1000000 runs the full-size benchmark.
TEST(RunFileBench, HundredThousandTasks) {
#ifdef SORTIE_SANITIZED
  GTEST_SKIP() << "timing is meaningless under sanitizers";
#endif
  const char* rows_env = std::getenv("SORTIE_RUN_FILE_BENCH_ROWS");
  const size_t rows = rows_env != nullptr ? std::stoul(rows_env) : 100'000;
  const fs::path path = TestDir() / "RUN.h5";
  const RunData run = RealisticTasks(rows);
  const auto start = std::chrono::steady_clock::now();
  WriteRunFile(path, run.View());
  const std::chrono::duration<double> elapsed =
      std::chrono::steady_clock::now() - start;
  const auto bytes = static_cast<double>(fs::file_size(path));
  const double bytes_per_task = bytes / static_cast<double>(rows);
  std::printf("%zu tasks, %zu events: %.3f s, %.0f bytes, %.1f bytes/task\n",
              rows, run.events.size(), elapsed.count(), bytes, bytes_per_task);
  RecordProperty("seconds", std::to_string(elapsed.count()));
  RecordProperty("bytes_per_task", std::to_string(bytes_per_task));
  // 10x the usual time at 100,000 rows; at 1,000,000, the ~2 s budget with
  // room for a busy machine.
  EXPECT_LT(elapsed.count(),
            std::max(2.0, 2.5 * static_cast<double>(rows) / 1e6));
  EXPECT_LT(bytes_per_task, 128.0);
  const H5File file = OpenFileReadOnly(path);
  EXPECT_EQ(StringColumn(file.get(), "id").back(),
            "task-" + std::to_string(rows - 1));
}

// /results: the latest attempt's results of each task, tasks in row order,
// a NaN value for text; written (with 0 rows) when no task has any.
TEST(RunFileTest, WritesResultsAsALongTable) {
  const fs::path path = TestDir() / "RUN.h5";
  RunData run = SampleRun();
  WriteRunFile(path, run.View());
  {
    const H5File empty = OpenFileReadOnly(path);
    for (const char* column : {"task", "key", "value", "text"}) {
      EXPECT_EQ(Rows(empty.get(), column, "results"), 0u) << column;
    }
    const H5Group group(H5Gopen2(empty.get(), "results", H5P_DEFAULT));
    ASSERT_TRUE(group);
    EXPECT_THAT(ReadStringListAttribute(group.get(), "columns"),
                ElementsAre("task", "key", "value", "text"));
  }
  run.notes[3].results = {{"nodes", 4, "4"}, {"time", 0.52, "0.52"}};
  run.notes[1].results = {{"solver", kNoTime, "cg ✓"}};
  WriteRunFile(path, run.View());
  const H5File file = OpenFileReadOnly(path);
  const hid_t f = file.get();
  EXPECT_THAT(Int32Column(f, "task", "results"), ElementsAre(1, 3, 3));
  EXPECT_THAT(StringColumn(f, "key", "results"),
              ElementsAre("solver", "nodes", "time"));
  EXPECT_THAT(StringColumn(f, "text", "results"),
              ElementsAre("cg ✓", "4", "0.52"));
  const std::vector<double> values = Float64Column(f, "value", "results");
  ASSERT_EQ(values.size(), 3u);
  EXPECT_TRUE(std::isnan(values[0]));
  EXPECT_EQ(values[1], 4.0);
  EXPECT_EQ(values[2], 0.52);
  EXPECT_GT(H5Tequal(DatasetType(f, "value", "results").get(), H5T_IEEE_F64LE),
            0);
  EXPECT_GT(H5Tequal(DatasetType(f, "task", "results").get(), H5T_STD_I32LE),
            0);
}

}  // namespace
}  // namespace sortie
