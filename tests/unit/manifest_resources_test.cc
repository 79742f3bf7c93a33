// The numeric keys of a task and their bounds: nodes, ranks, cores and GPUs,
// priority, est_runtime, launcher_args, timeout and retries, with their
// defaults in both formats.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "manifest_fixtures.h"
#include "manifest_parse.h"
#include "master/manifest.h"

namespace sortie {
namespace {

using testing::OnlyError;
using testing::OnlyTask;
using testing::Parse;
using testing::Parsed;

using ::testing::ElementsAre;
using ::testing::IsEmpty;

void ExpectDefaultResources(const TaskSpec& task) {
  EXPECT_EQ(task.nodes, 1);
  EXPECT_EQ(task.ranks_per_node, 1);
  EXPECT_EQ(task.cores_per_rank, 1);
  EXPECT_EQ(task.gpus_per_rank, 0);
  EXPECT_EQ(task.priority, 0);
  EXPECT_TRUE(std::isnan(task.est_runtime));
  EXPECT_THAT(task.extras().launcher_args, IsEmpty());
  EXPECT_EQ(task.function, "");
  EXPECT_EQ(task.args_json, "null");
  EXPECT_EQ(task.TotalRanks(), 1);
  EXPECT_FALSE(task.IsMpi());
  EXPECT_EQ(task.timeout, 0.0);
  EXPECT_EQ(task.retries, 0);
  EXPECT_THAT(task.after, IsEmpty());
}

TEST(ManifestTest, NewKeysHaveDefaultsInBothFormats) {
  ExpectDefaultResources(OnlyTask(R"({"command":"x"})"));
  Parsed plain = Parse("echo a\n", "t.txt");
  ASSERT_TRUE(plain.ok);
  ExpectDefaultResources(plain.manifest.tasks[0]);
}

// ---- Resources ----

TEST(ManifestTest, ResourceKeysAreRead) {
  TaskSpec task = OnlyTask(
      R"({"command":"x","nodes":4,"ranks_per_node":8,"cores_per_rank":2,)"
      R"("gpus_per_rank":1,"priority":-5,"est_runtime":12.5,)"
      R"("launcher_args":["--bind-to","core"]})");
  EXPECT_EQ(task.nodes, 4);
  EXPECT_EQ(task.ranks_per_node, 8);
  EXPECT_EQ(task.cores_per_rank, 2);
  EXPECT_EQ(task.gpus_per_rank, 1);
  EXPECT_EQ(task.priority, -5);
  EXPECT_EQ(task.est_runtime, 12.5);
  EXPECT_THAT(task.extras().launcher_args, ElementsAre("--bind-to", "core"));
  EXPECT_EQ(task.TotalRanks(), 32);
  EXPECT_TRUE(task.IsMpi());
  EXPECT_EQ(task.function, "");
}

TEST(ManifestTest, ResourceKeysAcceptTheirBounds) {
  EXPECT_EQ(OnlyTask(R"({"command":"x","nodes":1000000})").nodes, 1000000);
  EXPECT_EQ(
      OnlyTask(R"({"command":"x","ranks_per_node":100000})").ranks_per_node,
      100000);
  EXPECT_EQ(
      OnlyTask(R"({"command":"x","cores_per_rank":100000})").cores_per_rank,
      100000);
  EXPECT_EQ(OnlyTask(R"({"command":"x","gpus_per_rank":1024})").gpus_per_rank,
            1024);
  EXPECT_EQ(OnlyTask(R"({"command":"x","gpus_per_rank":0})").gpus_per_rank, 0);
  EXPECT_EQ(
      OnlyTask(R"({"command":"x","nodes":1,"ranks_per_node":1})").TotalRanks(),
      1);
  // -0 is an integer literal in JSON, unlike -0.0.
  EXPECT_EQ(OnlyTask(R"({"command":"x","gpus_per_rank":-0})").gpus_per_rank, 0);
}

TEST(ManifestTest, ResourceKeysRejectEveryBadValue) {
  struct Case {
    const char* key;
    const char* value;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"nodes", "-2", "\"nodes\" must be an integer >= 1 (got -2)"},
      {"nodes", "0", "\"nodes\" must be an integer >= 1 (got 0)"},
      {"nodes", "1.5", "\"nodes\" must be an integer >= 1 (got 1.5)"},
      {"nodes", "2.0", "\"nodes\" must be an integer >= 1 (got 2.0)"},
      {"nodes", "1e3", "\"nodes\" must be an integer >= 1 (got 1000.0)"},
      {"nodes", "\"2\"", "\"nodes\" must be an integer >= 1 (got \"2\")"},
      {"nodes", "true", "\"nodes\" must be an integer >= 1 (got true)"},
      {"nodes", "null", "\"nodes\" must be an integer >= 1 (got null)"},
      {"nodes", "[2]", "\"nodes\" must be an integer >= 1 (got an array)"},
      {"nodes", "{}", "\"nodes\" must be an integer >= 1 (got an object)"},
      {"nodes", "1000001", "\"nodes\" must be at most 1000000 (got 1000001)"},
      {"nodes", "18446744073709551615",
       "\"nodes\" must be at most 1000000 (got 18446744073709551615)"},
      {"nodes", "-9223372036854775808",
       "\"nodes\" must be an integer >= 1 (got -9223372036854775808)"},
      {"ranks_per_node", "0",
       "\"ranks_per_node\" must be an integer >= 1 (got 0)"},
      {"ranks_per_node", "-1",
       "\"ranks_per_node\" must be an integer >= 1 (got -1)"},
      {"ranks_per_node", "4.5",
       "\"ranks_per_node\" must be an integer >= 1 (got 4.5)"},
      {"ranks_per_node", "100001",
       "\"ranks_per_node\" must be at most 100000 (got 100001)"},
      {"cores_per_rank", "0",
       "\"cores_per_rank\" must be an integer >= 1 (got 0)"},
      {"cores_per_rank", "\"4\"",
       "\"cores_per_rank\" must be an integer >= 1 (got \"4\")"},
      {"cores_per_rank", "100001",
       "\"cores_per_rank\" must be at most 100000 (got 100001)"},
      {"gpus_per_rank", "-1",
       "\"gpus_per_rank\" must be an integer >= 0 (got -1)"},
      {"gpus_per_rank", "false",
       "\"gpus_per_rank\" must be an integer >= 0 (got false)"},
      {"gpus_per_rank", "0.5",
       "\"gpus_per_rank\" must be an integer >= 0 (got 0.5)"},
      {"gpus_per_rank", "1025",
       "\"gpus_per_rank\" must be at most 1024 (got 1025)"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(OnlyError(std::string(R"({"command":"x",")") + c.key +
                        "\":" + c.value + "}"),
              std::string("m.jsonl:1: ") + c.message);
  }
}

TEST(ManifestTest, TotalRanksAndCoresPerNodeAreBounded) {
  // 21474 x 100000 fits in an int32; one more node does not.
  EXPECT_EQ(OnlyTask(R"({"command":"x","nodes":21474,"ranks_per_node":100000})")
                .TotalRanks(),
            2147400000);
  EXPECT_EQ(
      OnlyError(R"({"command":"x","nodes":21475,"ranks_per_node":100000})"),
      "m.jsonl:1: \"nodes\" x \"ranks_per_node\" = 2147500000 ranks; "
      "the limit is 2147483647");
  EXPECT_EQ(
      OnlyError(R"({"command":"x","nodes":1000000,"ranks_per_node":100000})"),
      "m.jsonl:1: \"nodes\" x \"ranks_per_node\" = 100000000000 ranks; "
      "the limit is 2147483647");
  EXPECT_EQ(
      OnlyTask(R"({"command":"x","ranks_per_node":1000,"cores_per_rank":1000})")
          .cores_per_rank,
      1000);
  EXPECT_EQ(
      OnlyError(
          R"({"command":"x","ranks_per_node":1000,"cores_per_rank":1001})"),
      "m.jsonl:1: \"ranks_per_node\" x \"cores_per_rank\" = 1001000 cores per "
      "node; the limit is 1000000");
}

// ---- Priority, run time and launcher arguments ----

TEST(ManifestTest, PriorityIsAnyInt32) {
  EXPECT_EQ(OnlyTask(R"({"command":"x","priority":7})").priority, 7);
  EXPECT_EQ(OnlyTask(R"({"command":"x","priority":2147483647})").priority,
            INT32_MAX);
  EXPECT_EQ(OnlyTask(R"({"command":"x","priority":-2147483648})").priority,
            INT32_MIN);
  EXPECT_EQ(OnlyError(R"({"command":"x","priority":2147483648})"),
            "m.jsonl:1: \"priority\" must be at most 2147483647 (got "
            "2147483648)");
  EXPECT_EQ(OnlyError(R"({"command":"x","priority":-2147483649})"),
            "m.jsonl:1: \"priority\" must be an integer from -2147483648 to "
            "2147483647 (got -2147483649)");
  EXPECT_EQ(OnlyError(R"({"command":"x","priority":1.5})"),
            "m.jsonl:1: \"priority\" must be an integer from -2147483648 to "
            "2147483647 (got 1.5)");
  EXPECT_EQ(OnlyError(R"({"command":"x","priority":"high"})"),
            "m.jsonl:1: \"priority\" must be an integer from -2147483648 to "
            "2147483647 (got \"high\")");
}

TEST(ManifestTest, EstRuntimeIsPositiveSecondsUpToABillion) {
  EXPECT_EQ(OnlyTask(R"({"command":"x","est_runtime":3600})").est_runtime,
            3600.0);
  EXPECT_EQ(OnlyTask(R"({"command":"x","est_runtime":0.001})").est_runtime,
            0.001);
  EXPECT_EQ(OnlyTask(R"({"command":"x","est_runtime":1e9})").est_runtime, 1e9);
  // Like timeout's bound: beyond it is a typo, and sums of such estimates
  // (a simulated makespan) overflowed.
  EXPECT_EQ(OnlyError(R"({"command":"x","est_runtime":1000000001})"),
            "m.jsonl:1: \"est_runtime\" must be at most 1000000000 seconds "
            "(got 1000000001)");
  EXPECT_EQ(OnlyError(R"({"command":"x","est_runtime":1e308})"),
            "m.jsonl:1: \"est_runtime\" must be at most 1000000000 seconds "
            "(got 1e+308)");
  for (std::string value :
       {"0", "-1", "-0.0", "\"10\"", "true", "null", "[1]"}) {
    const std::string shown =
        value == "[1]" ? "an array" : (value == "-0.0" ? "-0.0" : value);
    EXPECT_EQ(OnlyError(R"({"command":"x","est_runtime":)" + value + "}"),
              "m.jsonl:1: \"est_runtime\" must be a number of seconds > 0 "
              "(got " +
                  shown + ")");
  }
}

TEST(ManifestTest, LauncherArgsAreStrings) {
  EXPECT_THAT(
      OnlyTask(R"({"command":"x","launcher_args":[]})").extras().launcher_args,
      IsEmpty());
  EXPECT_THAT(
      OnlyTask(R"({"command":"x","launcher_args":["-x","A=b c","\u00e9"]})")
          .extras()
          .launcher_args,
      ElementsAre("-x", "A=b c", "\xc3\xa9"));
  EXPECT_EQ(OnlyError(R"({"command":"x","launcher_args":"--bind-to core"})"),
            "m.jsonl:1: \"launcher_args\" must be an array of strings; got a "
            "string");
  EXPECT_EQ(OnlyError(R"({"command":"x","launcher_args":["-n",4]})"),
            "m.jsonl:1: \"launcher_args\" elements must be strings; "
            "launcher_args[1] is a number");
  EXPECT_EQ(OnlyError(R"({"command":"x","launcher_args":[""]})"),
            "m.jsonl:1: launcher_args[0] is empty");
  EXPECT_EQ(OnlyError(R"({"command":"x","launcher_args":["a\u0000"]})"),
            "m.jsonl:1: launcher_args[0] contains a NUL character");
}

// ---- timeout and retries ----

TEST(ManifestTest, TimeoutIsPositiveSecondsUpToABillion) {
  EXPECT_EQ(OnlyTask(R"({"command":"x","timeout":3600})").timeout, 3600.0);
  EXPECT_EQ(OnlyTask(R"({"command":"x","timeout":0.25})").timeout, 0.25);
  EXPECT_EQ(OnlyTask(R"({"command":"x","timeout":1e9})").timeout, 1e9);
  for (std::string value :
       {"0", "-1", "-0", "-0.0", "\"10\"", "true", "null", "[1]", "{}"}) {
    const std::string shown =
        value == "[1]" ? "an array" : (value == "{}" ? "an object" : value);
    EXPECT_EQ(OnlyError(R"({"command":"x","timeout":)" + value + "}"),
              "m.jsonl:1: \"timeout\" must be a number of seconds > 0 (leave "
              "it out for no limit; got " +
                  (value == "-0" ? std::string("0") : shown) + ")");
  }
  EXPECT_EQ(OnlyError(R"({"command":"x","timeout":1000000001})"),
            "m.jsonl:1: \"timeout\" must be at most 1000000000 seconds (got "
            "1000000001)");
  EXPECT_EQ(OnlyError(R"({"command":"x","timeout":1.5e300})"),
            "m.jsonl:1: \"timeout\" must be at most 1000000000 seconds (got "
            "1.5e+300)");
}

TEST(ManifestTest, RetriesIsAnIntegerFrom0To1000) {
  EXPECT_EQ(OnlyTask(R"({"command":"x","retries":0})").retries, 0);
  EXPECT_EQ(OnlyTask(R"({"command":"x","retries":3})").retries, 3);
  EXPECT_EQ(OnlyTask(R"({"command":"x","retries":1000})").retries, 1000);
  EXPECT_EQ(OnlyTask(R"({"command":"x","retries":-0})").retries, 0);
  for (std::string value : {"-1", "1.5", "2.0", "\"3\"", "null", "true"}) {
    EXPECT_EQ(
        OnlyError(R"({"command":"x","retries":)" + value + "}"),
        "m.jsonl:1: \"retries\" must be an integer >= 0 (got " + value + ")");
  }
  EXPECT_EQ(OnlyError(R"({"command":"x","retries":1001})"),
            "m.jsonl:1: \"retries\" must be at most 1000 (got 1001)");
  EXPECT_EQ(OnlyError(R"({"command":"x","retries":18446744073709551615})"),
            "m.jsonl:1: \"retries\" must be at most 1000 (got "
            "18446744073709551615)");
}

}  // namespace
}  // namespace sortie
