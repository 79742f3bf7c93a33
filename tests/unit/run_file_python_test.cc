// run.h5 as its readers see it: h5py and pandas read every column, and
// the Python examples of docs/hdf5.md run against files this writer made.
// Skipped when /usr/bin/python3 lacks h5py or pandas.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "master/run_file.h"
#include "run_file_fixtures.h"

namespace sortie::run_file_testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

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
assert df.node_ids.tolist() == ['', '1,0', '0', '2', '0'], df.node_ids
assert df.nodes.dtype == np.int32 and df.est_runtime.dtype == np.float64
assert np.isnan(df.est_runtime[0]) and df.est_runtime[1] == 120.5
assert df.function[2] == '/opt/lib/libw\u00f6rk.so:run_step' and df.command[2] == ''
with h5py.File(path, 'r') as f:
    g = f['nodes']
    nodes = pd.DataFrame({n: g[n].asstr()[:] if g[n].dtype.kind == 'S' else g[n][:]
                          for n in g.attrs['columns']})
assert list(nodes.columns) == ['rank', 'host', 'cores', 'gpus', 'allocation'], nodes
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
// The ```python block of `doc` (a path from the top of the tree) that
// follows `marker`, or "".
std::string DocsPythonBlock(const std::string& marker,
                            const std::string& doc = "docs/hdf5.md") {
  const fs::path docs =
      fs::path(__FILE__).parent_path().parent_path().parent_path() / doc;
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
      DocsPythonBlock("run_file_python_test.cc runs this block (node join)");
  if (example.empty()) FAIL() << "docs/hdf5.md example not found";
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
// Runs `script` (Python, h5py and pandas at hand) in `dir`.
CommandResult RunPython(const fs::path& dir, const std::string& script) {
  return RunCommand("cd " + ShellQuote(dir) + " && /usr/bin/python3 -c " +
                    ShellQuote(script));
}

TEST(RunFileTest, H5pyReadsTailsReasonsAndEvents) {
  if (!PythonHasH5py()) GTEST_SKIP() << "/usr/bin/python3 lacks h5py/pandas";
  const std::string helper =
      DocsPythonBlock("Task `i`'s tail as text, in two lines of h5py");
  if (helper.empty()) FAIL() << "docs/hdf5.md tail helper not found";
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

// The README's first example: one row per task, whatever else /tasks holds
// (the tails' blob and offsets are not one row per task).
TEST(RunFileTest, ReadmeExampleReadsEveryTask) {
  if (!PythonHasH5py()) GTEST_SKIP() << "/usr/bin/python3 lacks h5py/pandas";
  const std::string example = DocsPythonBlock(
      "run_file_python_test.cc runs this block (README)", "README.md");
  if (example.empty()) FAIL() << "README.md example not found";
  const fs::path dir = TestDir();
  fs::create_directories(dir / "readme");
  WriteRunFile(dir / "readme/run.h5", LifecycleRun().View());
  const CommandResult result = RunPython(dir / "readme", example + R"(
assert len(df) == 7, df
assert df.id.tolist()[:2] == ['prep', 'train'], df.id
assert df.runtime[3] > 0 and df.runtime.isna()[1], df.runtime
print('ok')
)");
  EXPECT_EQ(result.exit_status, 0) << result.output;
  EXPECT_THAT(result.output, ::testing::EndsWith("ok\n"));
  EXPECT_THAT(result.output, HasSubstr("DONE"));
}

TEST(RunFileTest, DocsFailedTasksExampleShowsStderrTails) {
  if (!PythonHasH5py()) GTEST_SKIP() << "/usr/bin/python3 lacks h5py/pandas";
  const std::string example =
      DocsPythonBlock("run_file_python_test.cc runs this block (failed tasks)");
  if (example.empty()) FAIL() << "docs/hdf5.md example not found";
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
      DocsPythonBlock("run_file_python_test.cc runs this block (attempts)");
  if (example.empty()) FAIL() << "docs/hdf5.md example not found";
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

}  // namespace
}  // namespace sortie::run_file_testing
