// Results without log parsing: the result-file parser, the stdout patterns,
// and the manifest's `results` key.
#include "common/task_results.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "manifest_parse.h"

namespace sortie {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;

ResultValue Value(std::string key, double value, std::string text) {
  return ResultValue{std::move(key), value, std::move(text)};
}

std::vector<ResultValue> Values(const ResultMap& map) {
  std::vector<ResultValue> values;
  for (const auto& entry : map) values.push_back(entry.second);
  return values;
}

TEST(ResultNumberTest, WholeTextMustBeANumber) {
  EXPECT_EQ(ResultNumber("0.52"), 0.52);
  EXPECT_EQ(ResultNumber(" -3e2 "), -300.0);
  EXPECT_EQ(ResultNumber("42"), 42.0);
  EXPECT_TRUE(std::isinf(ResultNumber("inf")));
  for (const char* text : {"", " ", "0.52 s", "abc", "1,5", "1e999", "--1"}) {
    EXPECT_TRUE(std::isnan(ResultNumber(text))) << text;
  }
}

TEST(ParseResultLinesTest, KeysValuesCommentsAndBlanks) {
  ResultMap results;
  std::vector<std::string> warnings;
  ParseResultLines(
      "# a comment\n"
      "time=0.52\n"
      "\n"
      "  nodes = 4  \r\n"
      "solver=cg=fast\n"
      "empty=\n"
      "time=0.61",  // a repeated key keeps the last; no final newline
      &results, &warnings);
  EXPECT_THAT(warnings, IsEmpty());
  EXPECT_THAT(Values(results),
              ElementsAre(Value("empty", kNoTime, ""), Value("nodes", 4, "4"),
                          Value("solver", kNoTime, "cg=fast"),
                          Value("time", 0.61, "0.61")));
}

TEST(ParseResultLinesTest, MalformedLinesAreIgnoredWithAWarning) {
  ResultMap results;
  std::vector<std::string> warnings;
  ParseResultLines("no equals sign\n=3\nok=1\nbad\x01key=2\nlong=" +
                       std::string(kResultTextMaxBytes + 1, 'x') + "\n",
                   &results, &warnings);
  EXPECT_THAT(Values(results), ElementsAre(Value("ok", 1, "1")));
  EXPECT_THAT(
      warnings,
      ElementsAre("line 1: no '=' (ignored)", "line 2: empty key (ignored)",
                  "line 4: key contains a control character (ignored)",
                  "line 5: value longer than 1024 bytes (ignored)"));
}

TEST(ParseResultLinesTest, KeysBeyondTheCapAreDropped) {
  std::string text;
  for (size_t i = 0; i <= kMaxResultsPerTask; ++i) {
    text += 'k';
    text += std::to_string(i);
    text += "=1\n";
  }
  ResultMap results;
  std::vector<std::string> warnings;
  ParseResultLines(text, &results, &warnings);
  EXPECT_THAT(results, SizeIs(kMaxResultsPerTask));
  EXPECT_THAT(warnings, ElementsAre(HasSubstr("more than 1000 keys")));
}

TEST(CheckResultPatternTest, ExactlyOneCaptureGroup) {
  EXPECT_EQ(CheckResultPattern(R"(elapsed: (\S+) s)"), "");
  EXPECT_EQ(CheckResultPattern(R"(^t=([0-9.eE+-]+)$)"), "");
  EXPECT_EQ(CheckResultPattern("elapsed"),
            "needs exactly one capture group (...); it has 0");
  EXPECT_EQ(CheckResultPattern("(x|y)=([0-9]+)"),
            "needs exactly one capture group (...); it has 2");
  EXPECT_THAT(CheckResultPattern("(unclosed"),
              HasSubstr("is not a valid POSIX extended regular expression: "));
  EXPECT_THAT(CheckResultPattern("(?:x)(y)"),
              HasSubstr("is not a valid POSIX extended regular expression: "));
  // glibc would read \d as the letter d and match nothing useful.
  EXPECT_EQ(CheckResultPattern(R"(n=(\d+))"),
            "uses \\d, which POSIX regular expressions do not have: write "
            "[0-9]");
  EXPECT_THAT(CheckResultPattern(R"(([^\D]))"), HasSubstr("write [^0-9]"));
  EXPECT_EQ(CheckResultPattern(R"(a\\(d))"), "");  // an escaped backslash
}

TEST(ResultCollectorTest, PatternsTakeTheLastMatch) {
  ResultCollector collector;
  ResultMap results;
  std::vector<std::string> warnings;
  collector.Match({{"time", R"(elapsed: (\S+) s)"},
                   {"iters", R"(iter ([0-9]+))"},
                   {"absent", R"(never ([0-9]+))"}},
                  "elapsed: 0.1 s\niter 1 iter 2\nelapsed: 0.52 s\nbye\n",
                  &results, &warnings);
  EXPECT_THAT(warnings, IsEmpty());
  EXPECT_THAT(Values(results),
              ElementsAre(Value("iters", 2, "2"), Value("time", 0.52, "0.52")));
}

// A long line and a pattern a backtracking matcher would choke on: the
// first must not overflow the stack, the second gives up within the budget.
TEST(ResultCollectorTest, HostilePatternsNeitherCrashNorHang) {
  ResultCollector collector;
  ResultMap results;
  std::vector<std::string> warnings;
  std::string output(kResultLineMaxBytes, 'a');
  output += '\n';
  collector.Match({{"all", "(.*)"}}, output, &results, &warnings);
  ASSERT_EQ(results.count("all"), 1u);
  EXPECT_EQ(results["all"].text.size(), kResultLineMaxBytes);
  std::string slow;
  for (int i = 0; i < 300; ++i) {
    slow.append(4000, 'a');
    slow += '\n';
  }
  const auto start = std::chrono::steady_clock::now();
  collector.Match({{"never", "(a|a)*c"}}, slow, &results, &warnings);
  const std::chrono::duration<double> took =
      std::chrono::steady_clock::now() - start;
  EXPECT_LT(took.count(), kResultMatchSeconds + 1.5);
  EXPECT_EQ(results.count("never"), 0u);
  // 300 lines at ~30 ms each: the budget, not the output, ends the search.
  EXPECT_GE(took.count(), kResultMatchSeconds);
  EXPECT_THAT(warnings, ElementsAre(HasSubstr("matching gave up after 2 s")));
}

class CollectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sortie_task_results_" + std::to_string(getpid()));
    fs::create_directories(dir_);
    spec_.mutable_extras().stdout_path = (dir_ / "t.out").string();
    spec_.mutable_extras().result_path = (dir_ / "t.result").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  static void Write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }

  fs::path dir_;
  TaskSpec spec_;
  ResultCollector collector_;
};

TEST_F(CollectTest, TheFileWinsOverAPatternForTheSameKey) {
  Write(spec_.extras().stdout_path, "elapsed: 9.0 s\nmode: fast\n");
  Write(spec_.extras().result_path, "time=0.5\nlabel=run a\n");
  spec_.mutable_extras().result_patterns = {{"time", R"(elapsed: (\S+))"},
                                            {"mode", R"(mode: (\w+))"}};
  std::vector<std::string> warnings;
  EXPECT_THAT(
      collector_.Collect(spec_.extras(), &warnings),
      ElementsAre(Value("label", kNoTime, "run a"),
                  Value("mode", kNoTime, "fast"), Value("time", 0.5, "0.5")));
  EXPECT_THAT(warnings, IsEmpty());
}

TEST_F(CollectTest, MissingFilesGiveNoResults) {
  spec_.mutable_extras().result_patterns = {{"time", R"(elapsed: (\S+))"}};
  std::vector<std::string> warnings;
  EXPECT_THAT(collector_.Collect(spec_.extras(), &warnings), IsEmpty());
  EXPECT_THAT(warnings, IsEmpty());
}

TEST_F(CollectTest, AFifoInPlaceOfTheFileDoesNotHang) {
  ASSERT_EQ(mkfifo(spec_.extras().result_path.c_str(), 0600), 0);
  std::vector<std::string> warnings;
  EXPECT_THAT(collector_.Collect(spec_.extras(), &warnings), IsEmpty());
}

TEST_F(CollectTest, WarningsNameTheResultFile) {
  Write(spec_.extras().result_path, "oops\n");
  std::vector<std::string> warnings;
  EXPECT_THAT(collector_.Collect(spec_.extras(), &warnings), IsEmpty());
  EXPECT_THAT(warnings, ElementsAre(spec_.extras().result_path +
                                    ": line 1: no '=' (ignored)"));
}

TEST_F(CollectTest, PatternsScanOnlyTheTailOfALongStdout) {
  std::string out = "elapsed: 1 s\n";
  out += std::string(kResultScanBytes, 'x') + "\nelapsed: 2 s\n";
  Write(spec_.extras().stdout_path, out);
  spec_.mutable_extras().result_patterns = {{"first", R"(^elapsed: (1))"},
                                            {"time", R"(elapsed: ([0-9]+))"}};
  std::vector<std::string> warnings;
  EXPECT_THAT(collector_.Collect(spec_.extras(), &warnings),
              ElementsAre(Value("time", 2, "2")));
}

// ---- The manifest's "results" key ----

TEST(ManifestResultsTest, PatternsAreKeptInManifestOrder) {
  testing::Parsed parsed = testing::Parse(
      R"j({"command":"app","results":{"time":"elapsed: (\\S+) s","n":"n=([0-9]+)"}})j");
  ASSERT_TRUE(parsed.ok) << ::testing::PrintToString(parsed.errors);
  EXPECT_THAT(parsed.manifest.tasks.at(0).extras().result_patterns,
              ElementsAre(Pair("time", R"j(elapsed: (\S+) s)j"),
                          Pair("n", "n=([0-9]+)")));
}

TEST(ManifestResultsTest, BadPatternsAreRefusedWithFileAndLine) {
  EXPECT_THAT(
      testing::OnlyError(R"j({"command":"app","results":{"t":"(x"}})j"),
      ::testing::StartsWith("m.jsonl:1: \"results\" key \"t\": pattern "
                            "\"(x\" is not a valid POSIX extended regular "
                            "expression: "));
  EXPECT_EQ(testing::OnlyError(R"j({"command":"app","results":{"t":"x"}})j"),
            "m.jsonl:1: \"results\" key \"t\": pattern \"x\" needs exactly one "
            "capture group (...); it has 0");
  EXPECT_THAT(testing::OnlyError(R"j({"command":"app","results":["(x)"]})j"),
              HasSubstr("m.jsonl:1: \"results\" must be an object"));
  EXPECT_THAT(testing::OnlyError(R"j({"command":"app","results":{"t":1}})j"),
              HasSubstr("the pattern must be a string; got a number"));
  EXPECT_THAT(testing::OnlyError(R"j({"command":"app","results":{"":"(x)"}})j"),
              HasSubstr("\"results\" has an empty key"));
  EXPECT_THAT(testing::OnlyError(
                  R"j({"function":"sortie:noop","results":{"t":"(x)"}})j"),
              HasSubstr("\"results\" needs a command task"));
}

TEST(ManifestResultsTest, OnlyTheBadLineIsNamed) {
  testing::Parsed parsed = testing::Parse(
      "{\"command\":\"a\",\"results\":{\"t\":\"(x)\"}}\n"
      "{\"command\":\"b\",\"results\":{\"t\":\"(x)(y)\"}}\n");
  EXPECT_FALSE(parsed.ok);
  EXPECT_THAT(parsed.errors, ElementsAre(HasSubstr("m.jsonl:2: ")));
}

}  // namespace
}  // namespace sortie
