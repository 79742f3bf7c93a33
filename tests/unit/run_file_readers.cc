// Reading a run.h5 back for the writer's tests, through the HDF5 C API or
// /usr/bin/python3: see run_file_fixtures.h.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "run_file_fixtures.h"

namespace sortie::run_file_testing {
namespace {

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

}  // namespace

std::vector<std::string> StringColumn(hid_t file, const std::string& name,
                                      const std::string& group) {
  return ReadStrings(OpenDataset(file, group + "/" + name).get());
}

std::vector<int32_t> Int32Column(hid_t file, const std::string& name,
                                 const std::string& group) {
  return ReadInt32s(OpenDataset(file, group + "/" + name).get());
}

std::vector<double> Float64Column(hid_t file, const std::string& name,
                                  const std::string& group) {
  return ReadDoubles(OpenDataset(file, group + "/" + name).get());
}

std::vector<int64_t> Offsets(hid_t file, const std::string& blob) {
  return ReadAll<int64_t>(file, "tasks/" + blob + "_offsets", H5T_NATIVE_INT64);
}

std::string BlobBytes(hid_t file, const std::string& blob) {
  const std::vector<char> bytes =
      ReadAll<char>(file, "tasks/" + blob + "_blob", H5T_NATIVE_UINT8);
  return std::string(bytes.begin(), bytes.end());
}

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

H5Type DatasetType(hid_t file, const std::string& column,
                   const std::string& group) {
  const H5Dataset dataset = OpenDataset(file, group + "/" + column);
  return H5Type(H5Dget_type(dataset.get()));
}

hsize_t Rows(hid_t file, const std::string& column, const std::string& group) {
  const H5Dataset dataset = OpenDataset(file, group + "/" + column);
  const H5Space space(H5Dget_space(dataset.get()));
  EXPECT_EQ(H5Sget_simple_extent_ndims(space.get()), 1) << column;
  hsize_t dims[1] = {0};
  H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  return dims[0];
}

hsize_t ChunkRows(hid_t file, const std::string& column,
                  const std::string& group) {
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

}  // namespace sortie::run_file_testing
