// One JSON line to one task: its syntax, the task object's keys (unknown,
// repeated, missing, of the wrong type) and the command, env, tags and path
// fields. Resources, functions and `after` have files of their own.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "manifest_fixtures.h"
#include "manifest_parse.h"
#include "master/manifest.h"

namespace sortie {
namespace {

using testing::Cwd;
using testing::OnlyError;
using testing::Parse;
using testing::Parsed;

using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::SizeIs;

// ---- Good lines ----

TEST(ManifestTest, StringCommandRunsThroughTheShell) {
  Parsed parsed = Parse(R"({"id":"a","command":"echo hi | wc -c"})");
  ASSERT_TRUE(parsed.ok) << ::testing::PrintToString(parsed.errors);
  ASSERT_THAT(parsed.manifest.tasks, SizeIs(1));
  const TaskSpec& task = parsed.manifest.tasks[0];
  EXPECT_EQ(task.id, "a");
  EXPECT_TRUE(task.shell);
  EXPECT_THAT(task.command, ElementsAre("echo hi | wc -c"));
  EXPECT_EQ(task.line, 1u);
  EXPECT_EQ(task.tags_json, "{}");
  EXPECT_EQ(task.extras().cwd, "");
  EXPECT_EQ(task.extras().stdout_path, "");  // the master fills defaults
  EXPECT_EQ(task.extras().stderr_path, "");
}

TEST(ManifestTest, ArrayCommandIsExecutedDirectly) {
  Parsed parsed = Parse(R"({"command":["/bin/echo","a b","","\u00e9"]})");
  ASSERT_TRUE(parsed.ok);
  const TaskSpec& task = parsed.manifest.tasks[0];
  EXPECT_FALSE(task.shell);
  EXPECT_THAT(task.command, ElementsAre("/bin/echo", "a b", "", "\xc3\xa9"));
}

TEST(ManifestTest, EnvKeepsManifestOrder) {
  Parsed parsed =
      Parse(R"({"command":"env","env":{"ZED":"1","ALPHA":"","MID":"x=y"}})");
  ASSERT_TRUE(parsed.ok);
  EXPECT_THAT(
      parsed.manifest.tasks[0].extras().env,
      ElementsAre(Pair("ZED", "1"), Pair("ALPHA", ""), Pair("MID", "x=y")));
}

TEST(ManifestTest, TagsAreKeptAsCompactJson) {
  Parsed parsed = Parse(
      "{\"command\":\"x\", \"tags\" : { \"n\" : 4 ,\"s\": \"a \\\"q\\\"\", "
      "\"l\": [ 1, 2.5, true, null, {} ] ,\"u\":\"\\u00e9\"}}");
  ASSERT_TRUE(parsed.ok) << ::testing::PrintToString(parsed.errors);
  EXPECT_EQ(parsed.manifest.tasks[0].tags_json,
            "{\"n\":4,\"s\":\"a \\\"q\\\"\",\"l\":[1,2.5,true,null,{}],"
            "\"u\":\"\xc3\xa9\"}");
}

TEST(ManifestTest, RelativePathsBecomeAbsoluteAgainstTheCurrentDirectory) {
  Parsed parsed = Parse(
      R"({"command":"x","cwd":"work/a","stdout":"./out.txt","stderr":"/abs/err"})");
  ASSERT_TRUE(parsed.ok);
  const TaskSpec& task = parsed.manifest.tasks[0];
  EXPECT_EQ(task.extras().cwd, Cwd() + "/work/a");
  EXPECT_EQ(task.extras().stdout_path, Cwd() + "/out.txt");
  EXPECT_EQ(task.extras().stderr_path, "/abs/err");
}

// ---- Bad input: each kind of error, with its FILE:LINE prefix ----

TEST(ManifestTest, InvalidJson) {
  EXPECT_EQ(OnlyError(R"({"command":"x")"),
            "m.jsonl:1: invalid JSON: an object or array is not closed with } "
            "or ]");
  EXPECT_EQ(OnlyError(R"({"command":"x})"),
            "m.jsonl:1: invalid JSON: a string is not closed with \"");
  EXPECT_EQ(OnlyError(R"({"command":"x" "y"})"),
            "m.jsonl:1: invalid JSON: the structure is broken: a comma, colon, "
            "quote, bracket or brace is missing or out of place");
  EXPECT_EQ(OnlyError(R"({"command":tru})"),
            "m.jsonl:1: invalid JSON: a value starting with 't' is not true");
  EXPECT_EQ(OnlyError(R"({"command":"a\qb"})"),
            "m.jsonl:1: invalid JSON: a string has an invalid escape sequence");
  EXPECT_EQ(OnlyError("{\"command\":\"a\tb\"}"),
            "m.jsonl:1: invalid JSON: a string contains a raw control "
            "character (write a tab as \\t, a newline as \\n)");
}

TEST(ManifestTest, TrailingGarbageAfterTheObject) {
  EXPECT_EQ(OnlyError(R"({"command":"x"} junk)"),
            "m.jsonl:1: unexpected text after the object: \"junk\"");
  EXPECT_EQ(OnlyError(R"({"command":"x"}{"command":"y"})"),
            "m.jsonl:1: unexpected text after the object: "
            "\"{\\\"command\\\":\\\"y\\\"}\"");
}

TEST(ManifestTest, NotAnObject) {
  EXPECT_EQ(OnlyError(R"(["echo", "a"])"),
            "m.jsonl:1: expected a JSON object {...}; got an array");
  EXPECT_EQ(OnlyError("\"echo a\""),
            "m.jsonl:1: expected a JSON object {...}; got a string");
}

TEST(ManifestTest, WrongTypes) {
  EXPECT_EQ(OnlyError(R"({"command":"x","env":{"A":"1","N":5}})"),
            "m.jsonl:1: \"env\" values must be strings; \"N\" is a number");
  EXPECT_EQ(OnlyError(R"({"command":"x","env":["A=1"]})"),
            "m.jsonl:1: \"env\" must be an object; got an array");
  EXPECT_EQ(OnlyError(R"({"command":"x","cwd":7})"),
            "m.jsonl:1: \"cwd\" must be a string; got a number");
  EXPECT_EQ(OnlyError(R"({"command":"x","stdout":null})"),
            "m.jsonl:1: \"stdout\" must be a string; got null");
  EXPECT_EQ(OnlyError(R"({"command":"x","tags":[1]})"),
            "m.jsonl:1: \"tags\" must be an object; got an array");
  EXPECT_EQ(OnlyError(R"({"id":3,"command":"x"})"),
            "m.jsonl:1: \"id\" must be a string; got a number");
  EXPECT_EQ(OnlyError(R"({"command":{"a":1}})"),
            "m.jsonl:1: \"command\" must be a string or an array of strings; "
            "got an object");
  EXPECT_EQ(OnlyError(R"({"command":["a",true]})"),
            "m.jsonl:1: \"command\" elements must be strings; command[1] is "
            "a boolean");
}

TEST(ManifestTest, UnknownKeysSuggestTheClosestKnownOne) {
  Parsed parsed = Parse(R"({"comand":"x"})");
  EXPECT_THAT(parsed.errors,
              ElementsAre("m.jsonl:1: unknown key \"comand\" (did you mean "
                          "\"command\"?)",
                          "m.jsonl:1: the task needs \"command\" or "
                          "\"function\""));
  EXPECT_EQ(OnlyError(R"({"command":"x","stdot":"o"})"),
            "m.jsonl:1: unknown key \"stdot\" (did you mean \"stdout\"?)");
  EXPECT_EQ(OnlyError(R"({"command":"x","Env":{}})"),
            "m.jsonl:1: unknown key \"Env\" (did you mean \"env\"?)");
  EXPECT_EQ(OnlyError(R"({"command":"x","workdir":"d"})"),
            "m.jsonl:1: unknown key \"workdir\" (did you mean \"cwd\"?)");
  EXPECT_EQ(OnlyError(R"({"command":"x","bogus":1})"),
            "m.jsonl:1: unknown key \"bogus\" (known keys: id, command, "
            "function, args, cwd, env, stdout, stderr, tags, nodes, "
            "ranks_per_node, cores_per_rank, gpus_per_rank, priority, "
            "est_runtime, launcher_args, timeout, retries, after, results)");
}

TEST(ManifestTest, UnknownKeysSuggestTheNewKeys) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"node", "nodes"},
      {"rank_per_node", "ranks_per_node"},
      {"ppn", "ranks_per_node"},
      {"ntasks_per_node", "ranks_per_node"},
      {"cores", "cores_per_rank"},
      {"cpus_per_task", "cores_per_rank"},
      {"gpu_per_rank", "gpus_per_rank"},
      {"gpus", "gpus_per_rank"},
      {"priorty", "priority"},
      {"runtime", "est_runtime"},
      {"est_run_time", "est_runtime"},
      {"mpi_args", "launcher_args"},
      {"launcher_arg", "launcher_args"},
      {"func", "function"},
      {"fucntion", "function"},
      {"Args", "args"},
      {"arguments", "args"},
      {"timout", "timeout"},
      {"walltime", "timeout"},
      {"time_limit", "timeout"},
      {"retry", "retries"},
      {"retires", "retries"},
      {"max_retries", "retries"},
      {"depends_on", "after"},
      {"deps", "after"},
      {"dependencies", "after"},
      {"aftr", "after"},
  };
  for (const auto& [typo, key] : cases) {
    EXPECT_EQ(OnlyError(R"({"command":"x",")" + typo + R"(":1})"),
              "m.jsonl:1: unknown key \"" + typo + "\" (did you mean \"" + key +
                  "\"?)");
  }
}

TEST(ManifestTest, DuplicateKeysInAnyObject) {
  EXPECT_EQ(OnlyError(R"({"command":"x","command":"y"})"),
            "m.jsonl:1: duplicate key \"command\"");
  EXPECT_EQ(OnlyError(R"({"command":"x","env":{"A":"1","A":"2"}})"),
            "m.jsonl:1: \"env\" has duplicate key \"A\"");
  EXPECT_EQ(OnlyError(R"({"command":"x","tags":{"a":[{"b":1,"b":1}]}})"),
            "m.jsonl:1: \"tags\" has duplicate key \"b\"");
}

TEST(ManifestTest, MissingOrEmptyCommand) {
  EXPECT_EQ(OnlyError(R"({"id":"a"})"),
            "m.jsonl:1: the task needs \"command\" or \"function\"");
  EXPECT_EQ(OnlyError(R"({"command":""})"), "m.jsonl:1: \"command\" is empty");
  EXPECT_EQ(OnlyError(R"({"command":" \t "})"),
            "m.jsonl:1: \"command\" is only whitespace");
  EXPECT_EQ(OnlyError(R"({"command":[]})"),
            "m.jsonl:1: \"command\" is an empty array");
  EXPECT_EQ(OnlyError(R"({"command":["","a"]})"),
            "m.jsonl:1: command[0], the program to run, is empty");
}

TEST(ManifestTest, EmptyPaths) {
  EXPECT_EQ(OnlyError(R"({"command":"x","cwd":""})"),
            "m.jsonl:1: \"cwd\" is empty (leave it out instead)");
  EXPECT_EQ(OnlyError(R"({"command":"x","stdout":""})"),
            "m.jsonl:1: \"stdout\" is empty (leave it out instead)");
  EXPECT_EQ(OnlyError(R"({"command":"x","stderr":""})"),
            "m.jsonl:1: \"stderr\" is empty (leave it out instead)");
}

TEST(ManifestTest, NulBytesCannotReachTheOperatingSystem) {
  EXPECT_EQ(OnlyError(R"({"command":["a","b\u0000"]})"),
            "m.jsonl:1: command[1] contains a NUL character");
  EXPECT_EQ(OnlyError(R"({"command":"x","env":{"A=B":"1"}})"),
            "m.jsonl:1: \"env\" variable name \"A=B\" contains '=' or a NUL "
            "character");
  Parsed plain = Parse(std::string("echo a\0b\n", 9), "t.txt");
  EXPECT_THAT(plain.errors,
              ElementsAre("t.txt:1: a NUL byte at column 7; a manifest is text "
                          "and must not contain NUL bytes"));
}

}  // namespace
}  // namespace sortie
