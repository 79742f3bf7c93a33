// Tasks that could never run are refused before the run, one error each,
// naming the manifest line, however their shapes repeat and alternate.
#include "master/fit_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sortie {
namespace {

TaskSpec Task(const std::string& id, int32_t cores, uint64_t line) {
  TaskSpec spec;
  spec.id = id;
  spec.command = {"/bin/true"};
  spec.cores_per_rank = cores;
  spec.line = line;
  return spec;
}

std::vector<std::string> Messages(const std::vector<ManifestError>& errors) {
  std::vector<std::string> out;
  for (const ManifestError& error : errors) out.push_back(error.ToString());
  return out;
}

TEST(FitCheckTest, EveryTaskOfAShapeThatNeverFitsIsNamed) {
  Manifest manifest;
  manifest.path = "m.jsonl";
  // Runs of one shape, a shape coming back after another, good ones between.
  manifest.tasks = {Task("a", 8, 1), Task("b", 8, 2), Task("c", 1, 3),
                    Task("d", 9, 4), Task("e", 8, 5), Task("f", 1, 6),
                    Task("g", 1, 7)};
  const std::vector<NodeCapacity> nodes = {{4, 0, true}, {4, 0, true}};
  const std::vector<std::string> messages =
      Messages(CheckFits(manifest, nodes));
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_THAT(messages[0], ::testing::StartsWith("m.jsonl:1: task \"a\" "));
  EXPECT_THAT(messages[1], ::testing::StartsWith("m.jsonl:2: task \"b\" "));
  EXPECT_THAT(messages[2], ::testing::StartsWith("m.jsonl:4: task \"d\" "));
  EXPECT_THAT(messages[3], ::testing::StartsWith("m.jsonl:5: task \"e\" "));
  // The same verdict for the same shape; another for another.
  const std::string a_reason = messages[0].substr(messages[0].find("\" ") + 2);
  EXPECT_EQ(messages[3].substr(messages[3].find("\" ") + 2), a_reason);
  EXPECT_NE(messages[2].substr(messages[2].find("\" ") + 2), a_reason);
  EXPECT_THAT(a_reason, ::testing::HasSubstr("8"));
}

TEST(FitCheckTest, NothingToSayWhenEveryTaskFits) {
  Manifest manifest;
  manifest.path = "m.jsonl";
  manifest.tasks = {Task("a", 2, 1), Task("b", 4, 2)};
  EXPECT_TRUE(CheckFits(manifest, {NodeCapacity{4, 0, true}}).empty());
}

}  // namespace
}  // namespace sortie
