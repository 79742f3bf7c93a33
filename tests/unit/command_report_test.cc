// What `sortie validate` prints: the count of a manifest's problems (the
// true count, also past the 10,000 listed).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>

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

}  // namespace
}  // namespace sortie
