// Function tasks: library and built-in names, their args, and the keys a
// function cannot take because it runs in the pilot's own process.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "manifest_fixtures.h"
#include "manifest_parse.h"
#include "master/manifest.h"

namespace sortie {
namespace {

using testing::Cwd;
using testing::OnlyError;
using testing::OnlyTask;
using testing::Parse;
using testing::Parsed;

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ManifestTest, FunctionTasksHaveNoCommand) {
  TaskSpec lib = OnlyTask(
      R"({"id":"f","function":"/opt/lib/libwork.so:run_step","nodes":3,)"
      R"("cores_per_rank":16,"gpus_per_rank":2,"args":{"step":1}})");
  EXPECT_EQ(lib.function, "/opt/lib/libwork.so:run_step");
  EXPECT_THAT(lib.command, IsEmpty());
  EXPECT_FALSE(lib.shell);
  EXPECT_EQ(lib.args_json, R"({"step":1})");
  EXPECT_EQ(lib.nodes, 3);
  EXPECT_EQ(lib.cores_per_rank, 16);
  EXPECT_EQ(lib.gpus_per_rank, 2);
  EXPECT_TRUE(lib.IsMpi());
  for (const char* name : {"sortie:noop", "sortie:allreduce"}) {
    TaskSpec builtin = OnlyTask(std::string(R"({"function":")") + name + "\"}");
    EXPECT_EQ(builtin.function, name);
    EXPECT_EQ(builtin.args_json, "null");
  }
  // The last ':' separates the symbol, so paths may contain ':'.
  EXPECT_EQ(OnlyTask(R"({"function":"/a:b/libx.so:_f2"})").function,
            "/a:b/libx.so:_f2");
}

TEST(ManifestTest, FunctionLibraryPathsResolveLikeCwd) {
  EXPECT_EQ(OnlyTask(R"({"function":"lib/libx.so:f"})").function,
            Cwd() + "/lib/libx.so:f");
  EXPECT_EQ(OnlyTask(R"({"function":"./libx.so:f"})").function,
            Cwd() + "/libx.so:f");
  // A bare name is for dlopen to search, as in a program.
  EXPECT_EQ(OnlyTask(R"({"function":"libx.so:f"})").function, "libx.so:f");
  EXPECT_EQ(OnlyTask(R"({"function":"sortie:noop"})").function, "sortie:noop");
}

TEST(ManifestTest, FunctionArgsAreAnyJsonKeptCompact) {
  EXPECT_EQ(
      OnlyTask(R"({"function":"sortie:noop","args":[1, {"a" : null}, "s"]})")
          .args_json,
      R"([1,{"a":null},"s"])");
  EXPECT_EQ(OnlyTask(R"({"function":"sortie:noop","args":42})").args_json,
            "42");
  EXPECT_EQ(OnlyTask(R"({"function":"sortie:noop","args":null})").args_json,
            "null");
  EXPECT_EQ(OnlyError(R"({"function":"sortie:noop","args":{"a":1,"a":2}})"),
            "m.jsonl:1: \"args\" has duplicate key \"a\"");
}

TEST(ManifestTest, BadFunctionNames) {
  EXPECT_EQ(OnlyError(R"({"function":""})"),
            "m.jsonl:1: \"function\" is empty");
  EXPECT_EQ(OnlyError(R"({"function":5})"),
            "m.jsonl:1: \"function\" must be a string; got a number");
  EXPECT_EQ(OnlyError(R"({"function":"sortie:nap"})"),
            "m.jsonl:1: \"function\" \"sortie:nap\" is not a built-in function "
            "(the built-ins are sortie:noop, sortie:sleep, sortie:allreduce)");
  EXPECT_EQ(OnlyError(R"({"function":"sortie:"})"),
            "m.jsonl:1: \"function\" \"sortie:\" is not a built-in function "
            "(the built-ins are sortie:noop, sortie:sleep, sortie:allreduce)");
  EXPECT_EQ(OnlyError(R"({"function":"libx.so"})"),
            "m.jsonl:1: \"function\" \"libx.so\" must be "
            "\"path/to/lib.so:symbol\" or \"sortie:NAME\"");
  EXPECT_EQ(OnlyError(R"({"function":":run"})"),
            "m.jsonl:1: \"function\" \":run\" has no library path before the "
            "':'");
  for (const char* symbol : {"", "1run", "run-step", "run step", "r\u00e9"}) {
    const std::string name = std::string("libx.so:") + symbol;
    EXPECT_EQ(OnlyError(R"({"function":")" + name + "\"}"),
              "m.jsonl:1: \"function\" \"" + name +
                  "\" must end in a C identifier after the last ':' (got \"" +
                  symbol + "\")");
  }
  EXPECT_EQ(OnlyError(R"({"function":"lib\u0000x.so:f"})"),
            "m.jsonl:1: \"function\" contains a NUL character");
}

TEST(ManifestTest, ExactlyOneOfCommandAndFunction) {
  EXPECT_EQ(OnlyError(R"({"command":"x","function":"sortie:noop"})"),
            "m.jsonl:1: the task has both \"command\" and \"function\"");
  EXPECT_EQ(OnlyError(R"({"id":"t","nodes":2})"),
            "m.jsonl:1: the task needs \"command\" or \"function\"");
  // A bad value still counts as present: one message, about the value.
  EXPECT_EQ(OnlyError(R"({"function":7})"),
            "m.jsonl:1: \"function\" must be a string; got a number");
}

TEST(ManifestTest, ArgsOnlyWithFunction) {
  EXPECT_EQ(OnlyError(R"({"command":"x","args":{"a":1}})"),
            "m.jsonl:1: \"args\" is only for \"function\" tasks (a command's "
            "arguments go in \"command\")");
}

TEST(ManifestTest, FunctionsRunInThePilotProcess) {
  EXPECT_EQ(OnlyError(R"({"function":"sortie:noop","ranks_per_node":2})"),
            "m.jsonl:1: a \"function\" runs once per node, in the pilot's own "
            "rank, so \"ranks_per_node\" must be 1 (got 2)");
  EXPECT_EQ(OnlyTask(R"({"function":"sortie:noop","ranks_per_node":1})")
                .ranks_per_node,
            1);
  EXPECT_EQ(OnlyError(R"({"function":"sortie:noop","launcher_args":["-v"]})"),
            "m.jsonl:1: \"launcher_args\" is not allowed with \"function\": a "
            "function is not started by an MPI launcher");
  EXPECT_EQ(OnlyError(R"({"function":"sortie:noop","env":{"A":"1"}})"),
            "m.jsonl:1: \"env\" is not allowed with \"function\": it would "
            "change the pilot process the function runs in");
  EXPECT_EQ(OnlyError(R"({"function":"sortie:noop","cwd":"/tmp"})"),
            "m.jsonl:1: \"cwd\" is not allowed with \"function\": it would "
            "change the pilot process the function runs in");
  EXPECT_EQ(OnlyError(R"({"function":"sortie:noop","timeout":5})"),
            "m.jsonl:1: \"timeout\" is not allowed with \"function\": a "
            "function runs inside the pilot, which cannot stop it without "
            "ending the run");
  // Accepted and kept, though the pilot redirects nothing for a function.
  TaskSpec task = OnlyTask(
      R"({"function":"sortie:noop","stdout":"o.txt","stderr":"/e.txt"})");
  EXPECT_EQ(task.extras().stdout_path, Cwd() + "/o.txt");
  EXPECT_EQ(task.extras().stderr_path, "/e.txt");
}

// The pilot cannot kill a function without killing itself: a timeout would
// be silently ignored by `run` while `simulate` counted it TIMEOUT.
TEST(ManifestTest, FunctionTimeoutIsRefusedAtItsLine) {
  Parsed parsed = Parse(
      "{\"id\":\"c\",\"command\":\"x\",\"timeout\":1}\n"
      "# a comment\n"
      "{\"id\":\"f\",\"function\":\"sortie:sleep\",\"args\":{\"seconds\":3},"
      "\"timeout\":1,\"est_runtime\":3}\n");
  EXPECT_FALSE(parsed.ok);
  EXPECT_THAT(parsed.errors,
              ElementsAre("m.jsonl:3: \"timeout\" is not allowed with "
                          "\"function\": a function runs inside the pilot, "
                          "which cannot stop it without ending the run"));
}

TEST(ManifestTest, SleepNeedsSecondsAtLoadTime) {
  EXPECT_EQ(
      OnlyTask(R"({"function":"sortie:sleep","args":{"seconds":0}})").args_json,
      R"({"seconds":0})");
  EXPECT_EQ(OnlyTask(R"({"function":"sortie:sleep","args":{"seconds":2.5}})")
                .args_json,
            R"({"seconds":2.5})");
  EXPECT_EQ(OnlyError(R"({"function":"sortie:sleep"})"),
            "m.jsonl:1: \"sortie:sleep\" needs \"args\": {\"seconds\": N} with "
            "a number N >= 0");
  EXPECT_EQ(OnlyError(R"({"function":"sortie:sleep","args":5})"),
            "m.jsonl:1: \"args\" of \"sortie:sleep\" must be an object "
            "{\"seconds\": N}; got 5");
  EXPECT_EQ(OnlyError(R"({"function":"sortie:sleep","args":{}})"),
            "m.jsonl:1: \"args\" of \"sortie:sleep\" needs \"seconds\" (a "
            "number >= 0)");
  for (std::string value : {"-1", "\"5\"", "null", "true"}) {
    EXPECT_EQ(
        OnlyError(R"({"function":"sortie:sleep","args":{"seconds":)" + value +
                  "}}"),
        "m.jsonl:1: \"args\" of \"sortie:sleep\": \"seconds\" must be a number "
        ">= 0 (got " +
            value + ")");
  }
  // Past about 9.2e18 s the sleep's clock conversion overflowed and it
  // returned at once; the bound is timeout's.
  EXPECT_TRUE(Parse(R"({"function":"sortie:sleep","args":{"seconds":1e9}})"
                    "\n")
                  .ok);
  for (std::string value : {"1000000001", "1e19", "1e308"}) {
    EXPECT_EQ(OnlyError(R"({"function":"sortie:sleep","args":{"seconds":)" +
                        value + "}}"),
              "m.jsonl:1: \"args\" of \"sortie:sleep\": \"seconds\" must be at "
              "most 1000000000 (got " +
                  std::string(value == "1000000001" ? value
                              : value == "1e19"     ? "1e+19"
                                                    : "1e+308") +
                  ")");
  }
  EXPECT_EQ(
      OnlyError(R"({"function":"sortie:sleep","args":{"seconds":1,"secs":1}})"),
      "m.jsonl:1: \"args\" of \"sortie:sleep\" has unknown key \"secs\" "
      "(it takes only \"seconds\")");
  EXPECT_EQ(
      OnlyError(
          R"({"function":"sortie:sleep","args":{"seconds":1,"seconds":2}})"),
      "m.jsonl:1: \"args\" has duplicate key \"seconds\"");
}

TEST(ManifestTest, EveryProblemOfAMultiNodeLineIsListed) {
  Parsed parsed =
      Parse(R"({"function":"lib.so:f","nodes":0,"ranks_per_node":4,"env":{},)"
            R"("priority":0.5})"
            "\n");
  EXPECT_THAT(
      parsed.errors,
      ElementsAre(
          "m.jsonl:1: \"nodes\" must be an integer >= 1 (got 0)",
          "m.jsonl:1: \"priority\" must be an integer from -2147483648 to "
          "2147483647 (got 0.5)",
          "m.jsonl:1: a \"function\" runs once per node, in the pilot's own "
          "rank, so \"ranks_per_node\" must be 1 (got 4)",
          "m.jsonl:1: \"env\" is not allowed with \"function\": it would "
          "change the pilot process the function runs in"));
}

}  // namespace
}  // namespace sortie
