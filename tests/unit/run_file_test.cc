// run.h5 at scale: 100,000 tasks round-trip across chunk boundaries, spec
// columns packed once serve every snapshot, and a tiny-size guard on write
// time and size (RunFileBench; docs/hdf5.md runs it as `run_file_test`).
#include "master/run_file.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/h5.h"
#include "run_file_fixtures.h"

namespace sortie::run_file_testing {
namespace {

namespace fs = std::filesystem;

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

}  // namespace
}  // namespace sortie::run_file_testing
