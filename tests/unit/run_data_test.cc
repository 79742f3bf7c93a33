// Reading runs back: RUN.h5 written by the real writer, and a journal being
// appended to, replayed without being touched.
#include "master/run_data.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "master/journal.h"
#include "master/manifest.h"
#include "master/report_data.h"
#include "master/run_state.h"
#include "test_dir.h"

namespace sortie {
namespace {

namespace fs = std::filesystem;

class RunDataTest : public TestWithDir {
 protected:
  std::string PathFor(const std::string& name) const {
    return (dir_ / name).string();
  }
  // A two-task manifest; returns its path and fills `manifest`.
  std::string WriteManifest(Manifest* manifest) {
    const std::string path = PathFor("m.jsonl");
    std::ofstream(path) << R"({"id":"first","command":"true","tags":{"n":2}})"
                        << "\n"
                        << R"({"id":"second","command":"true","nodes":2})"
                        << "\n";
    std::vector<ManifestError> errors;
    EXPECT_TRUE(LoadManifest(path, ManifestFormat::kAuto, manifest, &errors));
    return path;
  }
  // Journal of a run of `manifest` in which "first" ended FAILED with a
  // stderr tail and "second" is still running.
  std::string WriteJournal(const Manifest& manifest, const std::string& path) {
    const std::string journal = PathFor("R.h5.journal");
    JournalWriter writer(journal);
    JournalRecord start;
    start.type = JournalRecordType::kRunStarted;
    start.text = path;
    start.sha256 = manifest.sha256;
    start.count = manifest.tasks.size();
    start.rank = 2;
    start.time = 100;
    writer.Append(start);
    RunState state(manifest.tasks, RunInfo{});
    writer.Append(state.StartedRecord(0, 1, 0, "hostA", 101));
    writer.Append(state.StartedRecord(1, 1, 1, "hostB", 102));
    TaskResult result;
    result.row = 0;
    result.attempt = 1;
    result.exit_code = 3;
    result.end_time = 103;
    result.stderr_tail = "line one\nbroken\n";
    writer.Append(RunState::EndedRecord(result, 0));
    writer.Flush();
    return journal;
  }
};

TEST_F(RunDataTest, ReadsWhatTheWriterWrote) {
  Manifest manifest;
  WriteManifest(&manifest);
  RunState state(manifest.tasks, RunInfo{});
  state.info().started_at = 50;
  state.info().finished_at = 60;
  state.info().exit_status = 1;
  JournalRecord opening;
  opening.type = JournalRecordType::kRunStarted;
  opening.time = 50;
  state.Apply(opening);
  state.Apply(RunState::AllocationNodesRecord(
      {NodeRecord{0, "hostA", 4, 0}, NodeRecord{1, "hostB", 4, 1}}));
  state.Apply(RunState::TaskNodesRecord(1, 1, {1, 0}));
  state.Apply(state.StartedRecord(1, 1, 1, "hostB", 51));
  TaskResult result;
  result.row = 1;
  result.attempt = 1;
  result.exit_code = 0;
  result.end_time = 55;
  result.stderr_tail = std::string("a\0b", 3);
  state.Apply(RunState::EndedRecord(result, 1));
  const std::string path = PathFor("R.h5");
  WriteRunFile(path, state.View());

  const RunData run = ReadRunData(path);
  EXPECT_EQ(run.source, "run.h5");
  EXPECT_TRUE(RunFinished(run));
  EXPECT_DOUBLE_EQ(run.info.started_at, 50);
  EXPECT_EQ(run.info.exit_status, 1);
  ASSERT_EQ(run.tasks.size(), 2u);
  EXPECT_EQ(run.tasks[0].id, "first");
  EXPECT_EQ(run.tasks[0].state, TaskState::kPending);
  EXPECT_EQ(run.tasks[0].tags_json, R"({"n":2})");
  EXPECT_EQ(run.tasks[1].state, TaskState::kDone);
  EXPECT_EQ(run.tasks[1].host, "hostB");
  EXPECT_EQ(run.tasks[1].nodes, 2);
  EXPECT_EQ(run.tasks[1].node_ids, (std::vector<int32_t>{1, 0}));
  EXPECT_EQ(run.tasks[1].stderr_tail, std::string("a\0b", 3));
  ASSERT_EQ(run.nodes.size(), 2u);
  EXPECT_EQ(run.nodes[1].gpus, 1);
  ASSERT_EQ(run.allocations.size(), 1u);
  EXPECT_DOUBLE_EQ(run.allocations[0].started_at, 50);
  EXPECT_TRUE(std::isnan(run.allocations[0].ended_at));  // still running
  EXPECT_EQ(run.allocations[0].nodes, 2);
  ASSERT_EQ(run.events.size(), 2u);
  EXPECT_EQ(run.events[1].state, TaskState::kDone);
  EXPECT_FALSE(run.has_results);
}

TEST_F(RunDataTest, AFileThatIsNotARunIsRefused) {
  const std::string path = PathFor("not.h5");
  std::ofstream(path) << "hello";
  EXPECT_THROW(ReadRunData(path), std::runtime_error);
}

TEST_F(RunDataTest, LiveJournalIsReplayedWithoutBeingTouched) {
  Manifest manifest;
  const std::string journal = WriteJournal(manifest, WriteManifest(&manifest));
  // The master is half-way through its next record: a torn frame.
  { std::ofstream(journal, std::ios::app) << std::string("\x30\0\0\0\x01", 5); }
  const auto size = fs::file_size(journal);
  const auto mtime = fs::last_write_time(journal);

  const RunData run = ReadRunJournal(journal, PathFor("R.h5"));
  EXPECT_EQ(run.source, "journal");
  EXPECT_FALSE(RunFinished(run));
  EXPECT_DOUBLE_EQ(run.info.started_at, 100);
  EXPECT_EQ(run.info.exit_status, -1);
  ASSERT_EQ(run.tasks.size(), 2u);
  EXPECT_EQ(run.tasks[0].id, "first");  // named from the manifest
  EXPECT_EQ(run.tasks[0].state, TaskState::kFailed);
  EXPECT_EQ(run.tasks[0].exit_code, 3);
  EXPECT_EQ(run.tasks[0].stderr_tail, "line one\nbroken\n");
  EXPECT_EQ(run.tasks[1].state, TaskState::kRunning);
  EXPECT_EQ(run.tasks[1].host, "hostB");
  EXPECT_EQ(run.tasks[1].rank, 1);
  EXPECT_EQ(run.tasks[1].nodes, 2);
  EXPECT_EQ(run.events.size(), 3u);
  EXPECT_EQ(fs::file_size(journal), size);  // the torn tail is still there
  EXPECT_EQ(fs::last_write_time(journal), mtime);
}

TEST_F(RunDataTest, WithoutTheManifestTasksAreNumbered) {
  Manifest manifest;
  const std::string path = WriteManifest(&manifest);
  const std::string journal = WriteJournal(manifest, path);
  fs::remove(path);
  const RunData run = ReadRunJournal(journal, PathFor("R.h5"));
  ASSERT_EQ(run.tasks.size(), 2u);
  EXPECT_EQ(run.tasks[0].id, "#0");
  EXPECT_EQ(run.tasks[1].state, TaskState::kRunning);
}

// A launcher may lose the exit status (pmodels/mpich#7057); the journal
// keeps it, and a later resume forgets it until that run finishes.
TEST_F(RunDataTest, TheJournalKnowsTheRunsExitStatus) {
  Manifest manifest;
  const std::string journal = WriteJournal(manifest, WriteManifest(&manifest));
  JournalRecord record;
  record.type = JournalRecordType::kRunFinished;
  record.time = 104;
  record.exit_code = 4;
  JournalWriter::OpenForAppend(journal)->Append(record);
  RunData run = ReadRunJournal(journal, PathFor("R.h5"));
  EXPECT_TRUE(RunFinished(run));
  EXPECT_EQ(run.info.exit_status, 4);

  record.type = JournalRecordType::kRunResumed;
  record.time = 200;
  JournalWriter::OpenForAppend(journal)->Append(record);
  run = ReadRunJournal(journal, PathFor("R.h5"));
  EXPECT_FALSE(RunFinished(run));
  EXPECT_EQ(run.info.exit_status, -1);
}

// The allocations' times come from the run records: the report counts the
// time between them as neither allocated nor overhead.
TEST_F(RunDataTest, TheJournalKnowsTheAllocations) {
  Manifest manifest;
  const std::string journal = WriteJournal(manifest, WriteManifest(&manifest));
  JournalRecord record;
  record.type = JournalRecordType::kRunFinished;
  record.time = 104;
  JournalWriter::OpenForAppend(journal)->Append(record);
  record.type = JournalRecordType::kRunResumed;
  record.time = 200;
  record.rank = 3;
  JournalWriter::OpenForAppend(journal)->Append(record);
  const RunData run = ReadRunJournal(journal, PathFor("R.h5"));
  ASSERT_EQ(run.allocations.size(), 2u);
  EXPECT_DOUBLE_EQ(run.allocations[0].started_at, 100);
  EXPECT_DOUBLE_EQ(run.allocations[0].ended_at, 104);
  EXPECT_DOUBLE_EQ(run.allocations[1].started_at, 200);
  EXPECT_TRUE(std::isnan(run.allocations[1].ended_at));
  EXPECT_EQ(run.allocations[1].ranks, 3);
}

// Before the first snapshot the journal is all status and report have: its
// node records place the tasks, so the report's Gantt chart has them.
TEST_F(RunDataTest, TheJournalPlacesTasksOnTheirNodes) {
  Manifest manifest;
  const std::string path = WriteManifest(&manifest);
  const std::string journal = PathFor("R.h5.journal");
  {
    JournalWriter writer(journal);
    JournalRecord start;
    start.type = JournalRecordType::kRunStarted;
    start.text = path;
    start.sha256 = manifest.sha256;
    start.count = manifest.tasks.size();
    start.rank = 3;
    start.time = 100;
    writer.Append(start);
    writer.Append(RunState::AllocationNodesRecord(
        {NodeRecord{1, "hostA", 4, 0}, NodeRecord{2, "hostB", 4, 0}}));
    RunState state(manifest.tasks, RunInfo{});
    writer.Append(state.StartedRecord(0, 1, 2, "hostB", 101));
    writer.Append(RunState::TaskNodesRecord(1, 1, {2, 1}));
    writer.Append(state.StartedRecord(1, 1, 2, "hostB", 102));
    JournalRecord resumed;
    resumed.type = JournalRecordType::kRunResumed;
    resumed.sha256 = manifest.sha256;
    resumed.rank = 2;
    resumed.time = 200;
    writer.Append(resumed);
    writer.Append(RunState::AllocationNodesRecord({NodeRecord{1, "hostC", 8}}));
    writer.Append(state.StartedRecord(0, 2, 1, "hostC", 201));
    writer.Flush();
  }
  const RunData run = ReadRunJournal(journal, PathFor("R.h5"));
  ASSERT_EQ(run.nodes.size(), 3u);
  EXPECT_EQ(run.nodes[0], (NodeRecord{1, "hostA", 4, 0, 0}));
  EXPECT_EQ(run.nodes[2], (NodeRecord{1, "hostC", 8, 0, 1}));
  EXPECT_EQ(run.tasks[0].node_ids, std::vector<int32_t>{2});  // its retry's
  EXPECT_EQ(run.tasks[1].node_ids, (std::vector<int32_t>{1, 0}));
  const ReportData report = Aggregate(run, {});
  const GanttData gantt =
      LayOutGantt(run, report.attempts, report.started_at, kMaxGanttBars);
  EXPECT_EQ(gantt.lanes.size(), 3u);
  EXPECT_EQ(gantt.bars.size(), 4u);  // first's two attempts, second's 2 nodes
}

// A journal written before the node records (version 4) still reads, with
// no nodes: the report has nothing to place.
TEST_F(RunDataTest, AVersionFourJournalReadsWithoutNodes) {
  Manifest manifest;
  const std::string path = WriteManifest(&manifest);
  JournalRecord start;
  start.type = JournalRecordType::kRunStarted;
  start.text = path;
  start.sha256 = manifest.sha256;
  start.count = manifest.tasks.size();
  start.rank = 2;
  start.time = 100;
  RunState state(manifest.tasks, RunInfo{});
  std::string bytes =
      std::string("SORTIEJ1\x04\x00\x00\x00", 12) + EncodeJournalRecord(start) +
      EncodeJournalRecord(state.StartedRecord(0, 1, 1, "n1", 101));
  const std::string journal = PathFor("R.h5.journal");
  std::ofstream(journal, std::ios::binary) << bytes;
  const RunData run = ReadRunJournal(journal, PathFor("R.h5"));
  EXPECT_TRUE(run.nodes.empty());
  EXPECT_EQ(run.tasks[0].state, TaskState::kRunning);
  EXPECT_TRUE(run.tasks[0].node_ids.empty());
  EXPECT_EQ(run.allocations.size(), 1u);
  const ReportData report = Aggregate(run, {});
  EXPECT_TRUE(
      LayOutGantt(run, report.attempts, report.started_at, kMaxGanttBars)
          .bars.empty());
  EXPECT_DOUBLE_EQ(report.node_hours_allocated, 0.0);
}

// `sortie report` on a run that has no snapshot yet: the results are in
// the journal, and only the latest attempt's count.
TEST_F(RunDataTest, TheJournalHoldsTheTasksResults) {
  Manifest manifest;
  const std::string journal = WriteJournal(manifest, WriteManifest(&manifest));
  TaskResult result;
  result.row = 1;
  result.attempt = 1;
  result.results = {{"time", 2.5, "2.5"}, {"mode", kNoTime, "fast"}};
  {
    auto writer = JournalWriter::OpenForAppend(journal);
    writer->Append(RunState::ResultsRecord(result));
    result.end_time = 104;
    result.exit_code = 0;
    writer->Append(RunState::EndedRecord(result, 1));
    writer->Flush();
  }
  const RunData run = ReadRunJournal(journal, PathFor("R.h5"));
  EXPECT_TRUE(run.has_results);
  ASSERT_EQ(run.results.size(), 2u);
  EXPECT_EQ(run.results[0].task, 1);
  EXPECT_EQ(run.results[0].key, "time");
  EXPECT_DOUBLE_EQ(run.results[0].value, 2.5);
  EXPECT_EQ(run.results[1].text, "fast");
}

TEST_F(RunDataTest, AJournalWithoutARunIsRefused) {
  const std::string journal = PathFor("R.h5.journal");
  { JournalWriter writer(journal); }
  EXPECT_THROW(ReadRunJournal(journal, PathFor("R.h5")), std::runtime_error);
  std::ofstream(PathFor("junk.journal")) << "not a journal at all";
  EXPECT_THROW(ReadRunJournal(PathFor("junk.journal"), PathFor("R.h5")),
               std::runtime_error);
}

}  // namespace
}  // namespace sortie
