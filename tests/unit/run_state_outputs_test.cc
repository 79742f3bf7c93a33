// Default output paths are derived, not stored: the master's specs stay as
// the manifest gave them, while what a task is sent, what resume hashes and
// what run.h5 lists are the paths it always had.
#include <gtest/gtest.h>

#include "common/spec_digest.h"
#include "master/run_state.h"
#include "master/spec_hashes.h"

namespace sortie {
namespace {

TaskSpec Command(const std::string& id) {
  TaskSpec spec;
  spec.id = id;
  spec.command = {"/bin/true"};
  return spec;
}

TaskSpec Function() {
  TaskSpec spec;
  spec.id = "f";
  spec.function = "sortie:noop";
  return spec;
}

TEST(RunStateOutputsTest, SpecsHoldNoDefaultPathsButFullSpecDoes) {
  TaskSpec named = Command("n");
  named.mutable_extras().stdout_path = "/data/n.txt";
  RunState state({Command("a/b"), named, Function()}, RunInfo{}, "/run.logs");
  EXPECT_EQ(state.specs()[0].extras().stdout_path, "");
  EXPECT_EQ(state.specs()[0].extras().result_path, "");

  TaskSpec full = state.FullSpec(0);
  EXPECT_EQ(full.extras().stdout_path, "/run.logs/a_b.0.out");
  EXPECT_EQ(full.extras().stderr_path, "/run.logs/a_b.0.err");
  EXPECT_EQ(full.extras().result_path, "/run.logs/a_b.0.result");
  // The manifest's own path wins; the result file is in the logs anyway.
  TaskSpec own = state.FullSpec(1);
  EXPECT_EQ(own.extras().stdout_path, "/data/n.txt");
  EXPECT_EQ(own.extras().stderr_path, "/run.logs/n.err");
  EXPECT_EQ(own.extras().result_path, "/run.logs/n.result");
  // Functions print to the pilot's streams.
  TaskSpec function = state.FullSpec(2);
  EXPECT_EQ(function.extras().stdout_path, "");
  EXPECT_EQ(function.extras().result_path, "");
}

TEST(RunStateOutputsTest, SpecHashIsTheDigestOfTheFullSpec) {
  // Journals written when the paths were stored must still resume.
  RunState state({Command("t")}, RunInfo{}, "/run.logs");
  TaskSpec stored = Command("t");
  stored.mutable_extras().stdout_path = "/run.logs/t.out";
  stored.mutable_extras().stderr_path = "/run.logs/t.err";
  stored.mutable_extras().result_path = "/run.logs/t.result";
  EXPECT_EQ(state.SpecHash(0), SpecDigest(stored));
  EXPECT_NE(state.SpecHash(0), SpecDigest(Command("t")));
}

TEST(RunStateOutputsTest, SpecHashOfAFunctionIsThatOfItsFullSpec) {
  RunState state({Function(), Command("c")}, RunInfo{}, "/run.logs");
  EXPECT_EQ(state.SpecHash(0), SpecDigest(state.FullSpec(0)));
  EXPECT_EQ(state.SpecHash(1), SpecDigest(state.FullSpec(1)));
  EXPECT_NE(state.SpecHash(0), state.SpecHash(1));
}

TEST(RunStateOutputsTest, WithoutALogsDirSpecsAreTakenAsTheyAre) {
  TaskSpec stored = Command("t");
  stored.mutable_extras().stdout_path = "/x/t.out";
  RunState state({stored}, RunInfo{});
  EXPECT_EQ(state.FullSpec(0).extras().stdout_path, "/x/t.out");
  EXPECT_EQ(state.FullSpec(0).extras().result_path, "");
}

// The digests taken ahead on the idle thread are the ones SpecHash gives,
// whether a row was reached yet or not, default output paths included.
TEST(RunStateOutputsTest, SpecHashesAheadAreTheSpecHashes) {
  std::vector<TaskSpec> specs;
  for (int i = 0; i < 5000; ++i) {
    specs.push_back(i % 3 == 0 ? Function() : Command("t" + std::to_string(i)));
  }
  RunState state(std::move(specs), RunInfo{}, "/run.logs");
  SpecHashesAhead ahead(state);
  EXPECT_EQ(ahead.Get(4999), state.SpecHash(4999));  // likely not reached
  EXPECT_NE(ahead.Get(1), ahead.Get(2));
  for (uint32_t row = 0; row < 5000; ++row) {
    ASSERT_EQ(ahead.Get(row), state.SpecHash(row)) << row;
  }
}

}  // namespace
}  // namespace sortie
