// The report's aggregation on hand-made runs whose answers are known.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "common/utf8.h"
#include "master/report_command.h"
#include "master/report_data.h"
#include "master/report_svg.h"
#include "master/status_summary.h"

namespace sortie {
namespace {

constexpr double kT0 = 1000.0;  // started_at

TaskRow Task(std::string id, TaskState state, double start, double end,
             std::string tags = "{}", int32_t nodes = 1) {
  TaskRow t;
  t.id = std::move(id);
  t.state = state;
  t.start_time = start;
  t.end_time = end;
  t.tags_json = std::move(tags);
  t.nodes = nodes;
  t.exit_code = state == TaskState::kDone ? 0 : 1;
  return t;
}

void Event(RunData* run, uint32_t row, int32_t attempt, double time,
           TaskState state, int32_t rank) {
  run->events.push_back(TaskEvent{row, attempt, time, state, rank});
}

// Two nodes of 2 cores, ranks 0 and 1; a run from kT0 to kT0 + 10:
//   a: node 0, 1..5 DONE        b: node 1, 2..4 FAILED (stderr "boom")
//   c: nodes 0+1, 6..9 DONE (2 nodes)
// Nothing runs in [0,1) (startup), [5,6) (gap) and [9,10) (teardown).
RunData SmallRun() {
  RunData run;
  run.info.started_at = kT0;
  run.info.finished_at = kT0 + 10;
  run.nodes = {NodeRecord{0, "h0", 2, 0}, NodeRecord{1, "h1", 2, 0}};
  run.tasks.push_back(
      Task("a", TaskState::kDone, kT0 + 1, kT0 + 5, R"({"n":1,"k":"x"})"));
  run.tasks.push_back(
      Task("b", TaskState::kFailed, kT0 + 2, kT0 + 4, R"({"n":1})"));
  run.tasks.push_back(
      Task("c", TaskState::kDone, kT0 + 6, kT0 + 9, R"({"n":2})", 2));
  run.tasks[0].node_ids = {0};
  run.tasks[1].node_ids = {1};
  run.tasks[2].node_ids = {0, 1};
  run.tasks[1].stderr_tail = "first\nboom\n";
  Event(&run, 0, 1, kT0 + 1, TaskState::kRunning, 0);
  Event(&run, 1, 1, kT0 + 2, TaskState::kRunning, 1);
  Event(&run, 1, 1, kT0 + 4, TaskState::kFailed, 1);
  Event(&run, 0, 1, kT0 + 5, TaskState::kDone, 0);
  Event(&run, 2, 1, kT0 + 6, TaskState::kRunning, 0);
  Event(&run, 2, 1, kT0 + 9, TaskState::kDone, 0);
  return run;
}

TEST(ReportData, CountsWallTimeAndHours) {
  const ReportData r = Aggregate(SmallRun(), {});
  EXPECT_EQ(r.total, 3u);
  EXPECT_EQ(r.counts[static_cast<size_t>(TaskState::kDone)], 2u);
  EXPECT_EQ(r.counts[static_cast<size_t>(TaskState::kFailed)], 1u);
  EXPECT_TRUE(r.finished);
  EXPECT_DOUBLE_EQ(r.wall, 10.0);
  // a: 1 node x 4 s, b: 1 x 2 s, c: 2 x 3 s = 12 node-seconds.
  EXPECT_NEAR(r.node_hours_used, 12.0 / 3600, 1e-12);
  EXPECT_NEAR(r.core_hours_used, 12.0 / 3600, 1e-12);  // 1 core per node
  EXPECT_NEAR(r.node_hours_allocated, 2 * 10.0 / 3600, 1e-12);
  EXPECT_NEAR(r.core_hours_allocated, 4 * 10.0 / 3600, 1e-12);
  EXPECT_EQ(r.cores, 4);
}

// A snapshot of a run still going describes the run up to when it was
// written, not up to the last event in it: nothing ended for a while.
TEST(ReportData, ASnapshotRunsUntilItWasWritten) {
  RunData run = SmallRun();
  run.info.finished_at = kNoTime;
  run.tasks[2].state = TaskState::kRunning;
  run.tasks[2].end_time = kNoTime;
  run.events.pop_back();  // c has not ended
  run.info.written_at = kT0 + 30;
  const ReportData r = Aggregate(run, {});
  EXPECT_FALSE(r.finished);
  EXPECT_DOUBLE_EQ(r.wall, 30.0);
  // a 4 s, b 2 s, c running since 6 on 2 nodes: 2 x 24 s.
  EXPECT_NEAR(r.node_hours_used, (4.0 + 2.0 + 48.0) / 3600, 1e-12);
}

TEST(ReportData, BusyNodeHoursCountSharedNodesOnce) {
  RunData run = SmallRun();
  run.tasks[1].node_ids = {0};  // b shares node 0 with a
  const ReportData r = Aggregate(run, {});
  // Node 0: a 1..5 covers b 2..4, then c 6..9 = 7 s; node 1: c = 3 s.
  EXPECT_NEAR(r.node_hours_busy, 10.0 / 3600, 1e-12);
  EXPECT_NEAR(r.node_hours_used, 12.0 / 3600, 1e-12);
}

TEST(ReportData, OverheadIsTheTimeNothingRan) {
  const ReportData r = Aggregate(SmallRun(), {});
  EXPECT_DOUBLE_EQ(r.overhead.startup, 1.0);
  EXPECT_DOUBLE_EQ(r.overhead.gaps, 1.0);
  EXPECT_DOUBLE_EQ(r.overhead.teardown, 1.0);
  EXPECT_DOUBLE_EQ(r.overhead.Total(), 3.0);
  // Rank 0: a ends at 5, c starts there at 6. Rank 1's end has no successor.
  EXPECT_EQ(r.overhead.refills, 1u);
  EXPECT_DOUBLE_EQ(r.overhead.refill_median, 1.0);
}

TEST(ReportData, OverheadOfARunStillGoingHasNoTeardown) {
  RunData run = SmallRun();
  run.info.finished_at = kNoTime;
  const ReportData r = Aggregate(run, {});
  EXPECT_FALSE(r.finished);
  EXPECT_DOUBLE_EQ(r.until, kT0 + 9);  // the last time the data mentions
  EXPECT_DOUBLE_EQ(r.overhead.teardown, 0.0);
}

TEST(ReportData, FailuresKeepTheirStderrAsSafeText) {
  RunData run = SmallRun();
  run.tasks[1].stderr_tail = std::string("bad \xff byte\n", 11);
  const ReportData r = Aggregate(run, {});
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_EQ(r.failures[0].id, "b");
  EXPECT_EQ(r.failures[0].stderr_tail, "bad \xEF\xBF\xBD byte\n");
}

TEST(ReportData, RetriedAttemptsArePairedByAttempt) {
  RunData run = SmallRun();
  // b failed once at 2..3 on rank 1, then again 3..4: two attempts.
  run.events.clear();
  Event(&run, 1, 1, kT0 + 2, TaskState::kRunning, 1);
  Event(&run, 1, 1, kT0 + 3, TaskState::kFailed, 1);
  Event(&run, 1, 2, kT0 + 3, TaskState::kRunning, 1);
  Event(&run, 1, 2, kT0 + 4, TaskState::kFailed, 1);
  const std::vector<Attempt> attempts = CollectAttempts(run, kT0 + 10);
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_DOUBLE_EQ(attempts[0].end - attempts[0].start, 1.0);
  EXPECT_FALSE(attempts[0].latest);
  EXPECT_TRUE(attempts[1].latest);
  EXPECT_EQ(attempts[1].state, TaskState::kFailed);
}

TEST(ReportData, AttemptsStillRunningEndAtTheReportsEnd) {
  RunData run = SmallRun();
  run.events.pop_back();  // c has not ended yet
  const std::vector<Attempt> attempts = CollectAttempts(run, kT0 + 7);
  EXPECT_EQ(attempts.back().state, TaskState::kRunning);
  EXPECT_DOUBLE_EQ(attempts.back().end, kT0 + 7);
}

TEST(ReportData, WithoutEventsTheTasksLatestAttemptsAreUsed) {
  RunData run = SmallRun();
  run.events.clear();
  const ReportData r = Aggregate(run, {});
  EXPECT_EQ(r.attempts.size(), 3u);
  EXPECT_NEAR(r.node_hours_used, 12.0 / 3600, 1e-12);
}

TEST(ReportData, GroupsByTagWithResultStats) {
  RunData run = SmallRun();
  run.has_results = true;
  run.results = {ResultRow{0, "time", 2.0, "2"}, ResultRow{1, "time", 4.0, "4"},
                 ResultRow{2, "time", 1.0, "1"},
                 ResultRow{2, "note", kNoTime, "text only"}};
  const TagTable t = GroupByTag(run, "n");
  EXPECT_TRUE(t.numeric);
  EXPECT_EQ(t.untagged, 0u);
  ASSERT_EQ(t.groups.size(), 2u);
  EXPECT_EQ(t.groups[0].value, "1");
  EXPECT_EQ(t.groups[0].tasks, 2u);
  EXPECT_EQ(t.groups[0].done, 1u);
  EXPECT_DOUBLE_EQ(t.groups[0].runtime.Mean(), 3.0);  // (4 + 2) / 2
  EXPECT_DOUBLE_EQ(t.groups[0].runtime.min, 2.0);
  EXPECT_DOUBLE_EQ(t.groups[0].runtime.max, 4.0);
  const Stats& time = t.groups[0].results.at("time");
  EXPECT_EQ(time.count, 2u);
  EXPECT_DOUBLE_EQ(time.Mean(), 3.0);
  EXPECT_EQ(t.groups[1].results.at("time").count, 1u);
  EXPECT_EQ(t.groups[1].results.count("note"), 0u);  // text is not averaged
  EXPECT_EQ(Aggregate(run, {}).result_keys, std::vector<std::string>{"time"});
}

TEST(ReportData, NumericTagsSortByValueOthersByText) {
  RunData run;
  run.info.started_at = kT0;
  for (int n : {10, 2, 1}) {
    run.tasks.push_back(Task("t", TaskState::kDone, kT0, kT0 + 1,
                             "{\"n\":" + std::to_string(n) + ",\"s\":\"v" +
                                 std::to_string(n) + "\"}"));
  }
  run.tasks.push_back(Task("u", TaskState::kDone, kT0, kT0 + 1, "{}"));
  const TagTable n = GroupByTag(run, "n");
  ASSERT_EQ(n.groups.size(), 3u);
  EXPECT_EQ(n.groups[0].value, "1");
  EXPECT_EQ(n.groups[2].value, "10");
  EXPECT_EQ(n.untagged, 1u);
  const TagTable s = GroupByTag(run, "s");
  EXPECT_FALSE(s.numeric);
  EXPECT_EQ(s.groups[0].value, "v1");
  EXPECT_EQ(s.groups[1].value, "v10");
}

TEST(ReportData, DefaultTagsLeaveOutKeysWithTooManyValues) {
  RunData run;
  for (size_t i = 0; i <= kDefaultTagValues; ++i) {
    run.tasks.push_back(Task("t", TaskState::kDone, 1, 2,
                             "{\"seed\":" + std::to_string(i) + ",\"k\":1}"));
  }
  EXPECT_EQ(GroupableTagKeys(run, kDefaultTagValues),
            std::vector<std::string>{"k"});
}

TEST(ReportData, UsageIsAStepFunctionOfBusyCores) {
  const RunData run = SmallRun();
  const auto usage = UsageSeries(run, CollectAttempts(run, kT0 + 10), kT0);
  // 1: a (1) / 2: +b (2) / 4: -b (1) / 5: -a (0) / 6: +c (2) / 9: 0.
  std::vector<std::pair<double, double>> got;
  for (const UsagePoint& p : usage) got.emplace_back(p.time, p.busy_cores);
  const std::vector<std::pair<double, double>> want = {{1, 1}, {2, 2}, {4, 1},
                                                       {5, 0}, {6, 2}, {9, 0}};
  EXPECT_EQ(got, want);
}

TEST(ReportData, LongUsageIsAveragedOverBins) {
  RunData run;
  run.info.started_at = 0;
  for (size_t i = 0; i < kMaxUsagePoints; ++i) {
    const double t = static_cast<double>(i);
    run.tasks.push_back(Task("t", TaskState::kDone, t, t + 0.5));
  }
  const auto usage = UsageSeries(run, CollectAttempts(run, 1e9), 0);
  EXPECT_LE(usage.size(), kMaxUsagePoints);
  double area = 0;
  for (size_t i = 0; i + 1 < usage.size(); ++i) {
    area += usage[i].busy_cores * (usage[i + 1].time - usage[i].time);
  }
  // Half a core-second per task survives the averaging.
  EXPECT_NEAR(area, 0.5 * static_cast<double>(kMaxUsagePoints), 1e-6);
}

TEST(ReportData, GanttPutsOverlappingTasksInLanes) {
  RunData run = SmallRun();
  run.tasks[1].node_ids = {0};  // a and b now overlap on node 0
  const GanttData g =
      LayOutGantt(run, CollectAttempts(run, kT0 + 10), kT0, kMaxGanttBars);
  EXPECT_EQ(g.bars.size(), 4u);  // c spans two nodes
  EXPECT_EQ(g.lanes[0], 2);
  EXPECT_EQ(g.lanes[1], 1);
  EXPECT_FALSE(g.merged);
  EXPECT_NE(g.bars[0].lane, g.bars[1].lane);
}

TEST(ReportData, GanttMergesWhenThereAreTooManyBars) {
  RunData run;
  run.info.started_at = 0;
  run.nodes = {NodeRecord{0, "h0", 1, 0}};
  for (int i = 0; i < 1000; ++i) {
    TaskRow t = Task("t", TaskState::kDone, i, i + 1);
    t.node_ids = {0};
    run.tasks.push_back(t);
  }
  const GanttData g = LayOutGantt(run, CollectAttempts(run, 1e9), 0, 100);
  EXPECT_TRUE(g.merged);
  ASSERT_LE(g.bars.size(), 100u);
  size_t tasks = 0;
  for (const GanttBar& bar : g.bars) tasks += bar.merged;
  EXPECT_EQ(tasks, 1000u);
}

TEST(ReportText, ShowsFailuresWithTheirStderrTail) {
  const RunData run = SmallRun();
  const std::string text = ReportText("R.h5", run, Aggregate(run, {}));
  EXPECT_NE(text.find("b  FAILED exit 1"), std::string::npos) << text;
  EXPECT_NE(text.find("    | boom"), std::string::npos) << text;
  EXPECT_NE(text.find("by tag \"n\""), std::string::npos) << text;
}

TEST(ReportHtml, IsOnePageWithThreeChartsAndEscapedText) {
  RunData run = SmallRun();
  run.tasks[1].stderr_tail = "<script>alert(1)</script>";
  const std::string html = ReportHtml("R.h5", run, Aggregate(run, {}));
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(html.find("id=\"gantt\""), std::string::npos);
  EXPECT_NE(html.find("id=\"usage\""), std::string::npos);
  EXPECT_NE(html.find("id=\"by-tag\""), std::string::npos);
  for (const char* external : {"http:", "https:", "src=", "href=", "@import"}) {
    EXPECT_EQ(html.find(external), std::string::npos) << external;
  }
}

TEST(ReportSvg, NiceTicksAreRound) {
  using ::testing::DoubleNear;
  using ::testing::Pointwise;
  EXPECT_THAT(NiceTicks(0, 10, 5),
              Pointwise(DoubleNear(1e-12), {0.0, 2.0, 4.0, 6.0, 8.0, 10.0}));
  EXPECT_THAT(NiceTicks(0.3, 1.1, 4),
              Pointwise(DoubleNear(1e-12), {0.4, 0.6, 0.8, 1.0}));
  EXPECT_THAT(NiceTicks(5, 5, 4), Pointwise(DoubleNear(1e-12), {5.0}));
}

TEST(StatusSummary, CountsRunningAndRecentFailures) {
  RunData run = SmallRun();
  run.info.finished_at = kNoTime;
  run.tasks[2].state = TaskState::kRunning;
  run.tasks[2].end_time = kNoTime;
  run.tasks[2].rank = 0;
  run.tasks[2].host = "h0";
  const StatusSummary s = Summarise(run, kT0 + 8, 10);
  EXPECT_FALSE(s.finished);
  EXPECT_EQ(CountOf(s, TaskState::kRunning), 1u);
  EXPECT_EQ(s.ended, 2u);
  EXPECT_DOUBLE_EQ(s.elapsed, 8.0);
  EXPECT_DOUBLE_EQ(s.tasks_per_second, 0.25);
  ASSERT_EQ(s.running.size(), 1u);
  EXPECT_DOUBLE_EQ(s.running[0].elapsed, 2.0);
  EXPECT_EQ(s.running[0].host, "h0");
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].stderr_last_line, "boom");
}

TEST(Utf8, SafeTextAndLastLine) {
  EXPECT_EQ(SafeText("ok é\n"), "ok é\n");
  EXPECT_EQ(SafeText(std::string("a\0b", 3)),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(SafeText("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // cut char
  EXPECT_EQ(LastLine("one\ntwo\n\n  \n"), "two");
  EXPECT_EQ(LastLine(""), "");
  EXPECT_EQ(Shorten("abcdef", 6), "abcdef");
  EXPECT_EQ(Shorten("abcdef", 5), "ab\xE2\x80\xA6");  // 5 bytes, mark included
  EXPECT_EQ(Shorten("a\xC3\xA9"
                    "bcd",
                    5),
            "a\xE2\x80\xA6");               // not inside é
  EXPECT_EQ(Shorten("a\xC3\xA9", 2), "a");  // no room for the mark
  EXPECT_EQ(Shorten(std::string(300, 'x'), 200).size(), 200u);
}

}  // namespace
}  // namespace sortie
