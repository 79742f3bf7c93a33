// The report's timelines (busy cores, Gantt chart) of a run resumed in an
// allocation of another size after a wait: each allocation's own cores, the
// wait drawn as not allocated; one allocation drawn as it always was.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "common/sha256.h"
#include "master/report_command.h"
#include "master/report_data.h"

namespace sortie {
namespace {

constexpr double kT0 = 1000.0;  // started_at

void Event(RunData* run, uint32_t row, int32_t attempt, double time,
           TaskState state, int32_t rank) {
  run->events.push_back(TaskEvent{row, attempt, time, state, rank});
}

TaskRow Task(std::string id, TaskState state, double start, double end,
             int32_t rank, std::vector<int32_t> node_ids) {
  TaskRow t;
  t.id = std::move(id);
  t.state = state;
  t.exit_code = state == TaskState::kDone ? 0 : 1;
  t.start_time = start;
  t.end_time = end;
  t.rank = rank;
  t.node_ids = std::move(node_ids);
  return t;
}

// One allocation [0, 10] of two 2-core nodes: a 1..5 on node 0, b 2..4
// FAILED on node 1, c 6..9 on both.
RunData OneAllocation() {
  RunData run;
  run.info.started_at = kT0;
  run.info.finished_at = kT0 + 10;
  run.info.manifest_path = "m.jsonl";
  run.allocations = {AllocationRecord{kT0, kT0 + 10, 3, 2}};
  run.nodes = {NodeRecord{0, "h0", 2, 0, 0}, NodeRecord{1, "h1", 2, 0, 0}};
  run.tasks = {Task("a", TaskState::kDone, kT0 + 1, kT0 + 5, 0, {0}),
               Task("b", TaskState::kFailed, kT0 + 2, kT0 + 4, 1, {1}),
               Task("c", TaskState::kDone, kT0 + 6, kT0 + 9, 0, {0, 1})};
  run.tasks[2].nodes = 2;
  Event(&run, 0, 1, kT0 + 1, TaskState::kRunning, 0);
  Event(&run, 1, 1, kT0 + 2, TaskState::kRunning, 1);
  Event(&run, 1, 1, kT0 + 4, TaskState::kFailed, 1);
  Event(&run, 0, 1, kT0 + 5, TaskState::kDone, 0);
  Event(&run, 2, 1, kT0 + 6, TaskState::kRunning, 0);
  Event(&run, 2, 1, kT0 + 9, TaskState::kDone, 0);
  return run;
}

// The page of one allocation, with or without its /allocations row, is the
// page sortie drew before it knew allocations (these digests are of the
// page main 19ae6b5 wrote).
constexpr std::string_view kOneAllocationPage =
    "b416b7525b3a6697a8cdf0e09c8dd0f602877e4e962acbff9a10cd73f2fee4c6";

TEST(ReportUsageAllocations, OneAllocationsPageIsAsBefore) {
  RunData run = OneAllocation();
  const std::string with = ReportHtml("R.h5", run, Aggregate(run, {}));
  run.allocations.clear();
  const std::string without = ReportHtml("R.h5", run, Aggregate(run, {}));
  EXPECT_EQ(Sha256Hex(with), kOneAllocationPage) << with;
  EXPECT_EQ(Sha256Hex(without), kOneAllocationPage) << without;
}

// Two allocations 100 s apart: the first [0, 100] of two 2-core nodes
// (/nodes rows 0, 1), the second [200, 300] of one 8-core node (row 2).
// Tasks take 2 cores:
//   a: rank 0 10..100, lost (INTERRUPTED); again 210..290 on row 2
//   b: rank 1 10..90 on row 1
//   c: rank 0 210..290 on row 2
// Busy cores: 4 in 10..90, 2 in 90..100, 0 until 210, 4 in 210..290.
RunData GrownAllocation() {
  RunData run;
  run.info.started_at = kT0;
  run.info.finished_at = kT0 + 300;
  run.info.manifest_path = "m.jsonl";
  run.allocations = {AllocationRecord{kT0, kT0 + 100, 3, 2},
                     AllocationRecord{kT0 + 200, kT0 + 300, 2, 1}};
  run.nodes = {NodeRecord{0, "h0", 2, 0, 0}, NodeRecord{1, "h1", 2, 0, 0},
               NodeRecord{0, "h2", 8, 0, 1}};
  run.tasks = {Task("a", TaskState::kDone, kT0 + 210, kT0 + 290, 0, {2}),
               Task("b", TaskState::kDone, kT0 + 10, kT0 + 90, 1, {1}),
               Task("c", TaskState::kDone, kT0 + 210, kT0 + 290, 0, {2})};
  for (TaskRow& task : run.tasks) task.cores_per_rank = 2;
  Event(&run, 0, 1, kT0 + 10, TaskState::kRunning, 0);
  Event(&run, 1, 1, kT0 + 10, TaskState::kRunning, 1);
  Event(&run, 1, 1, kT0 + 90, TaskState::kDone, 1);
  Event(&run, 0, 1, kT0 + 100, TaskState::kInterrupted, 0);
  Event(&run, 0, 2, kT0 + 210, TaskState::kRunning, 0);
  Event(&run, 2, 1, kT0 + 210, TaskState::kRunning, 0);
  Event(&run, 0, 2, kT0 + 290, TaskState::kDone, 0);
  Event(&run, 2, 1, kT0 + 290, TaskState::kDone, 0);
  return run;
}

// The <figure id="ID"> of the page of `run`.
std::string Figure(const RunData& run, const std::string& id) {
  const std::string html = ReportHtml("R.h5", run, Aggregate(run, {}));
  const size_t from = html.find("<figure id=\"" + id + "\">");
  if (from == std::string::npos) return "";
  return html.substr(from, html.find("</figure>", from) - from);
}

// Every match of `pattern`'s first group in `text`.
std::vector<std::string> All(const std::string& text,
                             const std::string& pattern) {
  std::vector<std::string> found;
  const std::regex re(pattern);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re);
       it != std::sregex_iterator(); ++it) {
    found.push_back((*it)[1]);
  }
  return found;
}

// The chart maps 0..300 s onto x 130..960 and 0..8 cores onto y 240..20.
TEST(ReportUsageAllocations, TheTotalIsEachAllocationsCoresOverItsOwnTime) {
  const std::string usage = Figure(GrownAllocation(), "usage");
  const std::vector<std::string> dashed =
      All(usage,
          "<line (x1=\"[^\"]*\" y1=\"[^\"]*\" x2=\"[^\"]*\" y2=\"[^\"]*\") "
          "stroke=\"#d62728\" stroke-dasharray");
  const std::vector<std::string> want = {
      "x1=\"130.00\" y1=\"130.00\" x2=\"406.67\" y2=\"130.00\"",
      "x1=\"683.33\" y1=\"20.00\" x2=\"960.00\" y2=\"20.00\""};
  EXPECT_EQ(dashed, want) << usage;
  EXPECT_NE(usage.find(">allocation 1: 4 cores</text>"), std::string::npos)
      << usage;
  EXPECT_NE(usage.find(">allocation 2: 8 cores</text>"), std::string::npos)
      << usage;
  // No one utilization scale fits 4 and 8 cores: no % axis.
  EXPECT_EQ(usage.find("%</text>"), std::string::npos) << usage;
  EXPECT_NE(usage.find("no utilization axis"), std::string::npos) << usage;
}

TEST(ReportUsageAllocations, AllocationsOfOneSizeKeepTheUtilizationAxis) {
  RunData run = GrownAllocation();
  run.nodes[2].cores = 4;
  const std::string usage = Figure(run, "usage");
  EXPECT_EQ(All(usage, ">([0-9]+%)</text>"),
            (std::vector<std::string>{"0%", "25%", "50%", "75%", "100%"}))
      << usage;
  EXPECT_EQ(All(usage, "(stroke-dasharray)").size(), 2u) << usage;
}

TEST(ReportUsageAllocations, TheWaitIsHatchedAndTheBusyLineBreaksThere) {
  const std::string usage = Figure(GrownAllocation(), "usage");
  // The band over 100..200 s.
  EXPECT_NE(usage.find("<rect x=\"406.67\" y=\"20.00\" width=\"276.67\" "
                       "height=\"220.00\" fill=\"url(#usage-wait)\">"),
            std::string::npos)
      << usage;
  EXPECT_NE(usage.find(">between allocations</text>"), std::string::npos);
  // The busy line: one piece per allocation, the second from 200 s.
  const std::vector<std::string> line =
      All(usage, "<path d=\"([^\"]*)\" fill=\"none\" stroke=\"#1f77b4\"");
  ASSERT_EQ(line.size(), 1u) << usage;
  EXPECT_EQ(line[0],
            "M130.00 240.00 H157.67 V130.00 H379.00 V185.00 H406.67 V240.00 "
            "H406.67 M683.33 240.00 H711.00 V130.00 H932.33 V240.00 H960.00");
}

TEST(ReportUsageAllocations, GanttRowsAreGroupedByAllocation) {
  const std::string gantt = Figure(GrownAllocation(), "gantt");
  EXPECT_EQ(All(gantt, ">(allocation [0-9]+)</text>"),
            (std::vector<std::string>{"allocation 1", "allocation 2"}))
      << gantt;
  // One rule, above the second allocation's row: 4 lanes of 30 px (a and c
  // side by side on h2), h0's and h1's above it.
  EXPECT_EQ(All(gantt, "<line ([^/]*) stroke=\"#888\"/>"),
            std::vector<std::string>{
                "x1=\"6.00\" y1=\"80.00\" x2=\"960.00\" y2=\"80.00\""})
      << gantt;
  EXPECT_NE(gantt.find("fill=\"url(#gantt-wait)\""), std::string::npos);
  EXPECT_NE(gantt.find("hatched: the waits between allocations"),
            std::string::npos);
}

}  // namespace
}  // namespace sortie
