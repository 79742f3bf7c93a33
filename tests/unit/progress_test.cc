// The progress line: its pace on a fake clock, its text, and the live
// (terminal) form, written to an ostringstream.
#include "master/progress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "master/run_state.h"

namespace sortie {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

StateCounts Counts(size_t pending, size_t running, size_t done,
                   size_t failed = 0) {
  StateCounts counts{};
  counts[static_cast<size_t>(TaskState::kPending)] = pending;
  counts[static_cast<size_t>(TaskState::kRunning)] = running;
  counts[static_cast<size_t>(TaskState::kDone)] = done;
  counts[static_cast<size_t>(TaskState::kFailed)] = failed;
  return counts;
}

ProgressOptions Batch(std::ostream* out, double interval) {
  ProgressOptions options;
  options.interval = interval;
  options.out = out;
  return options;
}

size_t Lines(const std::string& text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST(ProgressTest, PrintsOneLinePerIntervalNotPerIteration) {
  std::ostringstream out;
  Progress progress(Batch(&out, 10.0));
  // A loop iterating every millisecond for 35 s of a fake clock.
  for (int ms = 0; ms <= 35000; ++ms) {
    progress.Tick(100.0 + ms / 1000.0,
                  Counts(90, 10, static_cast<size_t>(ms / 1000)));
  }
  EXPECT_EQ(Lines(out.str()), 3u) << out.str();
  EXPECT_THAT(out.str(), HasSubstr("sortie: progress 0:00:10 | 10/110 ended"));
  EXPECT_THAT(out.str(), HasSubstr("sortie: progress 0:00:30 | 30/130 ended"));
  EXPECT_THAT(out.str(), Not(HasSubstr("\r")));
}

TEST(ProgressTest, ALateIterationDoesNotBunchReports) {
  std::ostringstream out;
  Progress progress(Batch(&out, 10.0));
  progress.Tick(0.0, Counts(10, 0, 0));
  progress.Tick(35.0, Counts(10, 0, 0));  // three intervals late: one line
  progress.Tick(36.0, Counts(10, 0, 0));
  progress.Tick(39.9, Counts(10, 0, 0));
  EXPECT_EQ(Lines(out.str()), 1u);
  progress.Tick(40.0, Counts(10, 0, 0));
  EXPECT_EQ(Lines(out.str()), 2u);
}

TEST(ProgressTest, CountsRateAndEta) {
  // 100 tasks: 40 DONE and 10 FAILED in 50 s is 1 task/s, 50 left.
  std::string line = Progress::Format(50.0, Counts(46, 4, 40, 10), 0, false);
  EXPECT_EQ(line,
            "sortie: progress 0:00:50 | 50/100 ended: 40 DONE, 10 FAILED | "
            "4 RUNNING, 46 PENDING | 1.00 tasks/s | ETA 0:00:50");
}

TEST(ProgressTest, AResumedRunsEarlierTasksDoNotInflateTheRate) {
  // 900 were DONE before this allocation; 100 more in 10 s.
  std::string line = Progress::Format(10.0, Counts(0, 0, 1000), 900, true);
  EXPECT_THAT(line, HasSubstr("1000/1000 ended: 1000 DONE"));
  EXPECT_THAT(line, HasSubstr("| 10.0 tasks/s"));
  EXPECT_THAT(line, Not(HasSubstr("ETA")));
}

TEST(ProgressTest, NoEtaBeforeAnythingEnded) {
  EXPECT_THAT(Progress::Format(10.0, Counts(5, 3, 0), 0, false),
              HasSubstr("| 0.00 tasks/s | ETA -"));
}

TEST(ProgressTest, FinalLineEvenForAShortRunAndNothingWhenOff) {
  std::ostringstream out;
  Progress progress(Batch(&out, 10.0));
  progress.Tick(0.0, Counts(3, 0, 0));
  progress.Tick(2.0, Counts(0, 0, 3));
  progress.Final(2.0, Counts(0, 0, 3));
  EXPECT_EQ(out.str(),
            "sortie: progress 0:00:02 | 3/3 ended: 3 DONE | 0 RUNNING, "
            "0 PENDING | 1.50 tasks/s\n");

  std::ostringstream quiet;
  Progress off(Batch(&quiet, 0));
  for (int i = 0; i < 100; ++i) off.Tick(i * 1.0, Counts(3, 0, 0));
  off.Final(100.0, Counts(0, 0, 3));
  EXPECT_EQ(quiet.str(), "");
}

TEST(ProgressTest, ALiveLineIsRedrawnInPlaceAndEndedByTheFinalOne) {
  std::ostringstream out;
  ProgressOptions options = ProgressFor(10.0, true);
  EXPECT_EQ(options.interval, 1.0);
  EXPECT_TRUE(options.live);
  options.out = &out;
  Progress progress(options);
  progress.Tick(0.0, Counts(1000, 0, 0));
  progress.Tick(1.0, Counts(0, 100, 900));
  progress.Tick(2.0, Counts(0, 0, 1000));
  progress.Final(2.5, Counts(0, 0, 1000));
  const std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\r'), 3);
  EXPECT_EQ(Lines(text), 1u);
  EXPECT_EQ(text.back(), '\n');
}

TEST(ProgressTest, BatchLogsKeepTheGivenPace) {
  ProgressOptions options = ProgressFor(10.0, false);
  EXPECT_EQ(options.interval, 10.0);
  EXPECT_FALSE(options.live);
  EXPECT_EQ(ProgressFor(0, true).interval, 0.0);
}

TEST(ProgressTest, CountsComeFromTheRunState) {
  TaskSpec spec;
  spec.command = {"true"};
  RunState state({spec, spec, spec}, RunInfo{});
  state.Apply(RunState::SkippedRecord(2, "test", 1.0));
  StateCounts counts = CountsOf(state);
  EXPECT_EQ(counts[static_cast<size_t>(TaskState::kPending)], 2u);
  EXPECT_EQ(counts[static_cast<size_t>(TaskState::kSkipped)], 1u);
}

}  // namespace
}  // namespace sortie
