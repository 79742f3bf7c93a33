// What `sortie validate` and `sortie simulate` print: the count of a
// manifest's problems (the true count, also past the 10,000 listed), and
// simulate's clock times and refusals, whatever the sizes involved.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>

#include "master/simulate_command.h"
#include "master/validate_command.h"
#include "test_dir.h"

namespace sortie {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;

// What `run` writes to std::cerr.
std::string StderrOf(const std::function<void()>& run) {
  std::ostringstream captured;
  std::streambuf* saved = std::cerr.rdbuf(captured.rdbuf());
  run();
  std::cerr.rdbuf(saved);
  return captured.str();
}

class CommandReportTest : public TestWithDir {
 protected:
  // A manifest of `bad` lines, each with one problem.
  std::string BadManifest(int bad) {
    const std::string path = (dir_ / "m.jsonl").string();
    std::ofstream out(path);
    for (int i = 0; i < bad; ++i) out << "{\"nodes\":0,\"command\":\"true\"}\n";
    return path;
  }

  int status_ = -1;
};

TEST_F(CommandReportTest, TheProblemCountIsTrueBeyondTheListedOnes) {
  const std::string path = BadManifest(20000);
  const std::string out =
      StderrOf([&] { status_ = ValidateCommand(path, ManifestFormat::kAuto); });
  EXPECT_EQ(status_, 2);
  EXPECT_THAT(out, HasSubstr(path + ":10000: \"nodes\" must be"));
  EXPECT_THAT(out, HasSubstr("\n" + path +
                             ": 10000 more errors not shown (the first "
                             "10000 are listed)\n"));
  EXPECT_THAT(out, EndsWith("\nsortie: 20000 problems in " + path + "\n"));
}

TEST_F(CommandReportTest, OneProblemAndOneMoreAreSingular) {
  std::string path = BadManifest(10001);
  std::string out =
      StderrOf([&] { status_ = ValidateCommand(path, ManifestFormat::kAuto); });
  EXPECT_THAT(out, HasSubstr(": 1 more error not shown (the first 10000 "
                             "are listed)\n"));
  EXPECT_THAT(out, EndsWith("\nsortie: 10001 problems in " + path + "\n"));
  path = BadManifest(1);
  out =
      StderrOf([&] { status_ = ValidateCommand(path, ManifestFormat::kAuto); });
  EXPECT_THAT(out, EndsWith("\nsortie: 1 problem in " + path + "\n"));
}

TEST(ClockTextTest, HoursAreNotWrappedAndHugeTimesDoNotOverflow) {
  EXPECT_EQ(ClockText(0), "0:00:00");
  EXPECT_EQ(ClockText(59.5), "0:01:00");
  EXPECT_EQ(ClockText(133325), "37:02:05");
  // Past 2^63 s an integer cast overflowed into negative hours.
  EXPECT_EQ(ClockText(3600e15), "1000000000000000:00:00");
  // fmod is exact, the hours as close as a double gets.
  EXPECT_THAT(ClockText(1e19),
              ::testing::MatchesRegex("27777777777777[0-9][0-9]:46:40"));
  EXPECT_THAT(ClockText(1.7e308),
              ::testing::MatchesRegex("4[0-9]{304}:[0-5][0-9]:[0-5][0-9]"));
  EXPECT_EQ(ClockText(std::numeric_limits<double>::infinity()), "n/a");
  EXPECT_EQ(ClockText(std::numeric_limits<double>::quiet_NaN()), "n/a");
}

TEST_F(CommandReportTest, SimulateRefusesADefaultRuntimeNoEstimateMayHave) {
  const std::string path = (dir_ / "m.jsonl").string();
  std::ofstream(path) << "{\"command\":\"true\"}\n";
  SimulateCommandOptions options;
  options.manifest = path;
  options.default_runtime = 1e308;
  const std::string out = StderrOf([&] { status_ = SimulateCommand(options); });
  EXPECT_EQ(status_, 2);
  EXPECT_EQ(out,
            "sortie: --default-runtime must be at most 1000000000 seconds, "
            "like est_runtime\n");
}

}  // namespace
}  // namespace sortie
