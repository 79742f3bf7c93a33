// The sample runs the run.h5 writer's tests write: see run_file_fixtures.h.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "run_file_fixtures.h"

namespace sortie::run_file_testing {
namespace {

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

}  // namespace

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

std::string AwkwardTail(size_t size) {
  std::string tail = "\x9c\x93 ok\n";
  tail += std::string("nul:\0:", 6) + "bad:\xff\xfe\xc3(:✓\n";
  while (tail.size() < size) {
    tail += "line " + std::to_string(tail.size()) + "\n";
  }
  tail.resize(size);
  return tail;
}

RunData SampleRun() {
  RunData run;
  run.info = RunInfo{"0.1.0",
                     "/home/ü/manifest.jsonl",
                     std::string(64, 'a'),
                     "MPICH Version: 4.0.2",
                     4,
                     1700000000.25,
                     kNoTime};
  run.info.written_at = 1700000030.5;
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
  // Each placement includes the node its rank serves (rank - 1).
  run.task_nodes = {"", "1,0", "0", "2", "0"};
  run.allocations = {{1700000000.25, kNoTime, 4, 3}};
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

RunData LifecycleRun() {
  RunData run;
  run.info.started_at = 50;
  run.hosts = {"n0", "n1"};
  // Two allocations of the same two nodes: a drain at 170, a resume at 190.
  run.nodes = {{1, "n0", 8, 0, 0},
               {2, "n1", 8, 0, 0},
               {1, "n0", 8, 0, 1},
               {2, "n1", 8, 0, 1}};
  run.allocations = {{50, 170, 3, 2}, {190, kNoTime, 3, 2}};
  // `node` is where the last attempt ran (-1: never), served by rank
  // node + 1, in the first allocation.
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
  run.task_nodes[3] = "2";  // "long" ran last after the resume
  return run;
}

std::string NodeList(size_t first, size_t count) {
  std::string list;
  for (size_t node = first; node < first + count; ++node) {
    if (!list.empty()) list += ',';
    list += std::to_string(node);
  }
  return list;
}

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

RunData BusyRun(bool crowd) {
  RunData run;
  run.hosts = {"n0", "n1"};
  run.nodes = {{1, "n0", 8, 0}, {2, "n1", 8, 0}};
  run.allocations = {{1000, kNoTime, 3, 2}};
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

}  // namespace sortie::run_file_testing
