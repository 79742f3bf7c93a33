// Large, ordinary manifests: every task of a big one read as written, and a
// million lines parsed fast enough to catch quadratic behaviour. The hostile
// large inputs are in manifest_volume_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "manifest_parse.h"
#include "master/manifest.h"

namespace sortie {
namespace {

using testing::Parse;
using testing::Parsed;

using ::testing::ElementsAre;
using ::testing::SizeIs;

// Typical multi-node lines, as a workflow tool would generate them.
std::string MultiNodeLine(int i) {
  std::string n = std::to_string(i);
  if (i % 4 == 3) {
    return R"({"id":"f)" + n +
           R"(","function":"sortie:sleep","nodes":2,"args":{"seconds":1}})"
           "\n";
  }
  return R"({"id":"t)" + n + R"(","command":["./sim",")" + n +
         R"("],"nodes":)" + std::to_string(1 + i % 3) +
         R"(,"ranks_per_node":8,"cores_per_rank":2,"priority":)" +
         std::to_string(i % 10) +
         R"(,"est_runtime":60.5})"
         "\n";
}

// Large enough that the task list is faulted in by a second thread while
// the parse fills it: every task must still read exactly as written.
TEST(ManifestTest, ALargeManifestKeepsEveryTaskAsWritten) {
  constexpr int kLines = 60000;
  std::string text;
  for (int i = 0; i < kLines; ++i) text += MultiNodeLine(i);
  Parsed parsed = Parse(text);
  ASSERT_TRUE(parsed.ok) << ::testing::PrintToString(parsed.errors);
  ASSERT_THAT(parsed.manifest.tasks, SizeIs(kLines));
  for (int i = 0; i < kLines; ++i) {
    const TaskSpec& task = parsed.manifest.tasks[static_cast<size_t>(i)];
    const std::string n = std::to_string(i);
    ASSERT_EQ(task.line, static_cast<uint64_t>(i + 1));
    if (i % 4 == 3) {
      ASSERT_EQ(task.id, "f" + n);
      ASSERT_EQ(task.function, "sortie:sleep");
      ASSERT_EQ(task.nodes, 2);
    } else {
      ASSERT_EQ(task.id, "t" + n);
      ASSERT_THAT(task.command, ElementsAre("./sim", n));
      ASSERT_EQ(task.nodes, 1 + i % 3);
      ASSERT_EQ(task.priority, i % 10);
    }
  }
}

// Parses `text` (of `lines` task lines) and returns the rate in lines/s.
double ParseRate(const std::string& text, int lines) {
  auto start = std::chrono::steady_clock::now();
  Parsed parsed = Parse(text);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  EXPECT_TRUE(parsed.ok) << ::testing::PrintToString(parsed.errors);
  EXPECT_THAT(parsed.manifest.tasks, SizeIs(lines));
  double rate = lines / seconds;
  std::printf("parsed %d lines in %.3f s: %.0f lines/s\n", lines, seconds,
              rate);
  return rate;
}

TEST(ManifestTest, ParsesAMillionLinesQuickly) {
#ifdef SORTIE_SANITIZED
  GTEST_SKIP() << "timing is meaningless under sanitizers";
#endif
  constexpr int kLines = 1000000;
  std::string text;
  text.reserve(kLines * 56);
  for (int i = 0; i < kLines; ++i) {
    text += "{\"id\":\"t" + std::to_string(i) +
            "\",\"command\":[\"/bin/true\"],\"tags\":{\"n\":4}}\n";
  }
  double rate = ParseRate(text, kLines);
  RecordProperty("lines_per_second", static_cast<int>(rate));
  // Far below the 1M lines/s target so sanitizer and debug builds pass;
  // this catches accidental quadratic behaviour, not small regressions.
  EXPECT_GT(rate, 100000.0);
}

TEST(ManifestTest, ParsesAMillionMultiNodeLinesQuickly) {
#ifdef SORTIE_SANITIZED
  GTEST_SKIP() << "timing is meaningless under sanitizers";
#endif
  constexpr int kLines = 1000000;
  std::string text;
  text.reserve(kLines * 120);
  for (int i = 0; i < kLines; ++i) text += MultiNodeLine(i);
  double rate = ParseRate(text, kLines);
  RecordProperty("lines_per_second", static_cast<int>(rate));
  EXPECT_GT(rate, 100000.0);
}

}  // namespace
}  // namespace sortie
