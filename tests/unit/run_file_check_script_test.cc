// tests/tools/check_run_h5.py --check, which holds a run.h5 to
// docs/hdf5.md: it accepts what this writer makes and rejects files that are
// broken, inconsistent or overfull, including ones made by hand.
// Skipped when /usr/bin/python3 lacks h5py or pandas.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/h5.h"
#include "master/run_file.h"
#include "run_file_fixtures.h"

namespace sortie::run_file_testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(RunFileTest, CheckScriptAcceptsRunFilesAndRejectsOthers) {
  if (!PythonHasH5py()) GTEST_SKIP() << "/usr/bin/python3 lacks h5py/pandas";
  const fs::path script =
      fs::path(__FILE__).parent_path().parent_path() / "tools/check_run_h5.py";
  if (!fs::exists(script)) FAIL() << script << " not found";
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
TEST(RunFileTest, CheckScriptValidatesEventsAndTails) {
  if (!PythonHasH5py()) GTEST_SKIP() << "/usr/bin/python3 lacks h5py/pandas";
  const fs::path script =
      fs::path(__FILE__).parent_path().parent_path() / "tools/check_run_h5.py";
  if (!fs::exists(script)) FAIL() << script << " not found";
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

  // A finished run whose every attempt ended passes; one that left an
  // attempt without an end (a crash, resumed by an older sortie) does not.
  RunData finished = LifecycleRun();
  finished.info.finished_at = 240;
  finished.allocations[1].ended_at = 240;
  const CommandResult closed = check_file("FINISHED.h5", finished);
  EXPECT_EQ(closed.exit_status, 0) << closed.output;
  finished.events.pop_back();  // long's second attempt: STARTED only
  const CommandResult open_attempt = check_file("OPEN.h5", finished);
  EXPECT_NE(open_attempt.exit_status, 0) << open_attempt.output;
  EXPECT_THAT(open_attempt.output,
              HasSubstr("task 3 attempt 2: STARTED but never ended, in a "
                        "finished run"));

  // node_ids must be of the allocation the attempt started in, and served
  // by its rank.
  RunData elsewhere = LifecycleRun();
  elsewhere.task_nodes[3] = "0";  // long's rerun, on allocation 0's node
  const CommandResult stale = check_file("STALE.h5", elsewhere);
  EXPECT_NE(stale.exit_status, 0) << stale.output;
  EXPECT_THAT(stale.output,
              HasSubstr("'long' (row 3, state 'DONE'): node_ids not of the "
                        "allocation its latest attempt started in"));
  elsewhere = LifecycleRun();
  elsewhere.task_nodes[3] = "3";  // allocation 1, but rank 2's node
  const CommandResult other_rank = check_file("RANK.h5", elsewhere);
  EXPECT_NE(other_rank.exit_status, 0) << other_rank.output;
  EXPECT_THAT(other_rank.output, HasSubstr("'long' (row 3, state 'DONE')"));

  // /allocations must agree with /nodes.
  RunData miscounted = LifecycleRun();
  miscounted.allocations[1].nodes = 3;
  const CommandResult count = check_file("COUNT.h5", miscounted);
  EXPECT_NE(count.exit_status, 0) << count.output;
  EXPECT_THAT(count.output,
              HasSubstr("allocation 1 says 3 nodes but /nodes has 2 rows"));

  // node_ids on a task that never started (placed, not yet running).
  RunData placed = LifecycleRun();
  placed.task_nodes[1] = "0";  // train was SKIPPED, never started
  const CommandResult unstarted = check_file("PLACED.h5", placed);
  EXPECT_NE(unstarted.exit_status, 0) << unstarted.output;
  EXPECT_THAT(unstarted.output, HasSubstr("node_ids set but never started"));

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

}  // namespace
}  // namespace sortie::run_file_testing
