#include "master/manifest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "common/sha256.h"
#include "manifest_parse.h"

namespace sortie {
namespace {

using testing::Collect;
using testing::OnlyError;
using testing::Parse;
using testing::Parsed;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;
using ::testing::StartsWith;

std::filesystem::path TestDir() {
  const char* env = std::getenv("SORTIE_TEST_TMP");
  std::filesystem::path dir =
      env ? std::filesystem::path(env) : std::filesystem::temp_directory_path();
  dir /= "manifest_test";
  std::filesystem::create_directories(dir);
  return dir;
}

std::string WriteFile(const std::string& name, std::string_view text) {
  std::string path = (TestDir() / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string Cwd() { return std::filesystem::current_path().string(); }

// ---- Good input ----

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

TEST(ManifestTest, DefaultIdIsTheLineNumber) {
  Parsed parsed = Parse(
      "# header\n\n{\"command\":\"a\"}\n{\"id\":\"named\",\"command\":\"b\"}\n"
      "{\"command\":\"c\"}\n");
  ASSERT_TRUE(parsed.ok);
  ASSERT_THAT(parsed.manifest.tasks, SizeIs(3));
  EXPECT_EQ(parsed.manifest.tasks[0].id, "3");
  EXPECT_EQ(parsed.manifest.tasks[1].id, "named");
  EXPECT_EQ(parsed.manifest.tasks[2].id, "5");
  EXPECT_EQ(parsed.manifest.tasks[2].line, 5u);
}

TEST(ManifestTest, CommentsAndBlankLinesAreSkipped) {
  Parsed parsed = Parse(
      "  # indented comment\n \t \n#{\"command\":\"not me\"}\n"
      "{\"command\":\"me\"}\n\n");
  ASSERT_TRUE(parsed.ok);
  ASSERT_THAT(parsed.manifest.tasks, SizeIs(1));
  EXPECT_EQ(parsed.manifest.tasks[0].command[0], "me");
}

TEST(ManifestTest, CrlfLineEndings) {
  Parsed json = Parse("{\"command\":\"a\"}\r\n\r\n{\"command\":[\"b\"]}\r\n");
  ASSERT_TRUE(json.ok) << ::testing::PrintToString(json.errors);
  ASSERT_THAT(json.manifest.tasks, SizeIs(2));
  EXPECT_EQ(json.manifest.tasks[1].id, "3");
  Parsed plain = Parse("echo a\r\n# c\r\necho b\r\n", "t.txt");
  ASSERT_TRUE(plain.ok);
  EXPECT_THAT(plain.manifest.tasks[1].command, ElementsAre("echo b"));
}

TEST(ManifestTest, PlainListIsOneShellCommandPerLine) {
  Parsed parsed =
      Parse("  ./sim --seed 1  \n\n# comment\n\tcd x && make\t\n", "tasks.txt");
  ASSERT_TRUE(parsed.ok);
  ASSERT_THAT(parsed.manifest.tasks, SizeIs(2));
  const TaskSpec& first = parsed.manifest.tasks[0];
  EXPECT_EQ(first.id, "1");
  EXPECT_TRUE(first.shell);
  EXPECT_THAT(first.command, ElementsAre("./sim --seed 1"));
  EXPECT_EQ(parsed.manifest.tasks[1].id, "4");
  EXPECT_THAT(parsed.manifest.tasks[1].command, ElementsAre("cd x && make"));
  EXPECT_EQ(parsed.manifest.tasks[1].tags_json, "{}");
}

TEST(ManifestTest, FormatDetection) {
  const std::string json_line = "{\"command\":\"a\"}\n";
  // By extension, whatever the content.
  EXPECT_TRUE(Parse(json_line, "x.txt").manifest.tasks[0].shell);
  EXPECT_EQ(Parse(json_line, "x.sh").manifest.tasks[0].command[0],
            json_line.substr(0, 15));
  EXPECT_FALSE(Parse("echo a\n", "x.JSONL").ok);
  EXPECT_FALSE(Parse("echo a\n", "x.ndjson").ok);
  EXPECT_FALSE(Parse("echo a\n", "x.json").ok);
  // Otherwise by the first meaningful line.
  EXPECT_EQ(Parse("# c\n\n" + json_line, "tasks").manifest.tasks[0].command[0],
            "a");
  EXPECT_EQ(Parse("echo {\n", "tasks.in").manifest.tasks[0].command[0],
            "echo {");
  // An explicit format wins over the extension.
  Parsed forced = Parse(json_line, "x.txt", ManifestFormat::kJsonLines);
  EXPECT_EQ(forced.manifest.tasks[0].command[0], "a");
  EXPECT_EQ(Parse("{ echo a; }\n", "x.jsonl", ManifestFormat::kPlain)
                .manifest.tasks[0]
                .command[0],
            "{ echo a; }");
}

TEST(ManifestTest, ZeroTasksIsValid) {
  for (std::string_view text : {"", "\n\n", "# only a comment\n", "  \r\n"}) {
    Parsed parsed = Parse(text);
    EXPECT_TRUE(parsed.ok);
    EXPECT_THAT(parsed.manifest.tasks, IsEmpty());
    EXPECT_THAT(parsed.errors, IsEmpty());
  }
}

TEST(ManifestTest, ByteOrderMarkIsSkipped) {
  Parsed parsed = Parse("\xEF\xBB\xBF{\"command\":\"a\"}\n", "m");
  ASSERT_TRUE(parsed.ok) << ::testing::PrintToString(parsed.errors);
  EXPECT_EQ(parsed.manifest.tasks[0].command[0], "a");
}

TEST(ManifestTest, LoadManifestReadsTheFileAndHashesItsBytes) {
  const std::string text = "{\"command\":\"a\",\"cwd\":\"rel\"}\n";
  std::string path = WriteFile("load.jsonl", text);
  Manifest manifest;
  std::vector<ManifestError> errors;
  ASSERT_TRUE(LoadManifest(path, ManifestFormat::kAuto, &manifest, &errors));
  EXPECT_EQ(manifest.path, path);
  EXPECT_EQ(manifest.sha256, Sha256Hex(text));
  EXPECT_EQ(manifest.tasks[0].extras().cwd, Cwd() + "/rel");
  EXPECT_EQ(Parse(text).manifest.sha256, Sha256Hex(text));
}

// ---- Bad input: each kind of error, with its FILE:LINE prefix ----

TEST(ManifestTest, CannotOpenReportsLineZero) {
  Manifest manifest;
  std::vector<ManifestError> errors;
  EXPECT_FALSE(LoadManifest("/nonexistent/m.jsonl", ManifestFormat::kAuto,
                            &manifest, &errors));
  ASSERT_THAT(errors, SizeIs(1));
  EXPECT_EQ(errors[0].line, 0u);
  EXPECT_EQ(errors[0].ToString(),
            "/nonexistent/m.jsonl: cannot open: No such file or directory");
}

TEST(ManifestTest, DirectoryCannotBeRead) {
  Manifest manifest;
  std::vector<ManifestError> errors;
  std::string dir = TestDir().string();
  EXPECT_FALSE(LoadManifest(dir, ManifestFormat::kAuto, &manifest, &errors));
  ASSERT_THAT(errors, SizeIs(1));
  EXPECT_EQ(errors[0].ToString(), dir + ": cannot read: Is a directory");
}

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

TEST(ManifestTest, BadIds) {
  EXPECT_EQ(OnlyError(R"({"id":"","command":"x"})"),
            "m.jsonl:1: \"id\" is empty");
  EXPECT_EQ(OnlyError(R"({"id":"a\u0000b","command":"x"})"),
            "m.jsonl:1: \"id\" \"a\\u0000b\" contains a NUL character");
  EXPECT_EQ(OnlyError(R"({"id":"a\nb","command":"x"})"),
            "m.jsonl:1: \"id\" \"a\\nb\" contains a control character "
            "(\\u000a)");
}

TEST(ManifestTest, DuplicateIdsNameTheFirstLine) {
  Parsed parsed = Parse(
      "{\"id\":\"x\",\"command\":\"a\"}\n{\"command\":\"b\"}\n"
      "{\"id\":\"x\",\"command\":\"c\"}\n{\"id\":\"2\",\"command\":\"d\"}\n");
  EXPECT_FALSE(parsed.ok);
  EXPECT_THAT(parsed.errors,
              ElementsAre("m.jsonl:3: duplicate id \"x\" (first on line 1)",
                          "m.jsonl:4: duplicate id \"2\" (first on line 2)"));
}

// Ids that are line numbers are found from the line, not a table: every
// way two of them can meet must still be caught.
TEST(ManifestTest, NumericIdsMeetLineNumberIdsInEitherOrder) {
  Parsed parsed = Parse(
      "{\"id\":\"3\",\"command\":\"a\"}\n"   // line 3 comes later
      "{\"id\":\"2\",\"command\":\"b\"}\n"   // its own line number
      "{\"command\":\"c\"}\n"                // gets "3"
      "{\"id\":\"02\",\"command\":\"d\"}\n"  // not a line number
      "{\"id\":\"2\",\"command\":\"e\"}\n"
      "{\"id\":\"7\",\"command\":\"f\"}\n"
      "{\"id\":\"99999999999999999999\",\"command\":\"g\"}\n");
  EXPECT_FALSE(parsed.ok);
  EXPECT_THAT(parsed.errors,
              ElementsAre("m.jsonl:3: duplicate id \"3\" (first on line 1)",
                          "m.jsonl:5: duplicate id \"2\" (first on line 2)"));
}

TEST(ManifestTest, AfterFindsIdsThatAreLineNumbers) {
  Parsed parsed = Parse(
      "{\"command\":\"a\"}\n"
      "{\"id\":\"5\",\"command\":\"b\"}\n"
      "{\"id\":\"3\",\"command\":\"c\"}\n"
      "{\"command\":\"d\",\"after\":[\"1\",\"5\",\"3\"]}\n");
  ASSERT_TRUE(parsed.ok) << parsed.errors.front();
  EXPECT_THAT(parsed.manifest.tasks[3].after, ElementsAre(0u, 1u, 2u));
  EXPECT_EQ(OnlyError("{\"command\":\"a\"}\n"
                      "{\"command\":\"b\",\"after\":[\"01\"]}\n"),
            "m.jsonl:2: \"after\" names \"01\", which no task has");
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
              ElementsAre("t.txt:1: the command contains a NUL character"));
}

TEST(ManifestTest, EveryBadLineIsReportedInLineOrder) {
  Parsed parsed = Parse(
      "{\"command\":\"ok\"}\n"
      "{\"command\":5}\n"
      "not json\n"
      "{\"command\":\"ok\"}\n"
      "{\"command\":\"x\",\"cwd\":\"\",\"bogus\":1}\n");
  EXPECT_FALSE(parsed.ok);
  EXPECT_THAT(parsed.manifest.tasks, IsEmpty());  // nothing may run
  ASSERT_THAT(parsed.errors, SizeIs(4));
  EXPECT_THAT(parsed.errors[0], StartsWith("m.jsonl:2: \"command\" must be"));
  EXPECT_THAT(parsed.errors[1], StartsWith("m.jsonl:3: invalid JSON: "));
  EXPECT_EQ(parsed.errors[2],
            "m.jsonl:5: \"cwd\" is empty (leave it out instead)");
  EXPECT_THAT(parsed.errors[3], StartsWith("m.jsonl:5: unknown key \"bogus\""));
}

// ---- Resources, priority, run time and functions ----

// The only task of a one-line manifest that must be valid.
TaskSpec OnlyTask(std::string_view line) {
  Parsed parsed = Parse(std::string(line) + "\n");
  EXPECT_TRUE(parsed.ok) << line << ": "
                         << ::testing::PrintToString(parsed.errors);
  EXPECT_THAT(parsed.manifest.tasks, SizeIs(1)) << line;
  return parsed.manifest.tasks.empty() ? TaskSpec{} : parsed.manifest.tasks[0];
}

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

TEST(ManifestTest, EstRuntimeIsPositiveSeconds) {
  EXPECT_EQ(OnlyTask(R"({"command":"x","est_runtime":3600})").est_runtime,
            3600.0);
  EXPECT_EQ(OnlyTask(R"({"command":"x","est_runtime":0.001})").est_runtime,
            0.001);
  EXPECT_EQ(OnlyTask(R"({"command":"x","est_runtime":1.5e300})").est_runtime,
            1.5e300);
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
  // Accepted and kept, though the pilot redirects nothing for a function.
  TaskSpec task = OnlyTask(
      R"({"function":"sortie:noop","stdout":"o.txt","stderr":"/e.txt"})");
  EXPECT_EQ(task.extras().stdout_path, Cwd() + "/o.txt");
  EXPECT_EQ(task.extras().stderr_path, "/e.txt");
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

// ---- timeout, retries and after ----

TEST(ManifestTest, TimeoutIsPositiveSecondsUpToABillion) {
  EXPECT_EQ(OnlyTask(R"({"command":"x","timeout":3600})").timeout, 3600.0);
  EXPECT_EQ(OnlyTask(R"({"command":"x","timeout":0.25})").timeout, 0.25);
  EXPECT_EQ(OnlyTask(R"({"command":"x","timeout":1e9})").timeout, 1e9);
  EXPECT_EQ(OnlyTask(R"({"function":"sortie:noop","timeout":5})").timeout, 5.0);
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

TEST(ManifestTest, AfterNamesTasksOnEarlierAndLaterLines) {
  Parsed parsed = Parse(
      "{\"id\":\"sim\",\"command\":\"x\",\"after\":[\"prep\"]}\n"
      "# comment\n"
      "{\"id\":\"prep\",\"command\":\"x\"}\n"
      "{\"command\":\"x\",\"after\":[]}\n"
      "{\"id\":\"post\",\"command\":\"x\",\"after\":[\"sim\",\"4\",\"prep\"]}"
      "\n");
  ASSERT_TRUE(parsed.ok) << ::testing::PrintToString(parsed.errors);
  const std::vector<TaskSpec>& tasks = parsed.manifest.tasks;
  ASSERT_THAT(tasks, SizeIs(4));
  EXPECT_THAT(tasks[0].after, ElementsAre(1u));  // a forward reference
  EXPECT_THAT(tasks[1].after, IsEmpty());
  EXPECT_THAT(tasks[2].after, IsEmpty());
  EXPECT_THAT(tasks[3].after, ElementsAre(0u, 2u, 1u));  // manifest order
  EXPECT_EQ(OnlyTask(R"({"function":"sortie:noop","after":[]})").function,
            "sortie:noop");
}

TEST(ManifestTest, AfterMustBeAnArrayOfKnownIds) {
  EXPECT_EQ(OnlyError(R"({"command":"x","after":"prep"})"),
            "m.jsonl:1: \"after\" must be an array of task ids; got a string");
  EXPECT_EQ(OnlyError(R"({"command":"x","after":{"id":"a"}})"),
            "m.jsonl:1: \"after\" must be an array of task ids; got an object");
  EXPECT_EQ(OnlyError(R"({"command":"x","after":[3]})"),
            "m.jsonl:1: \"after\" elements must be task ids (strings); "
            "after[0] is a number");
  EXPECT_EQ(OnlyError(R"({"command":"x","after":[["a"]]})"),
            "m.jsonl:1: \"after\" elements must be task ids (strings); "
            "after[0] is an array");
  EXPECT_EQ(OnlyError(R"({"command":"x","after":[""]})"),
            "m.jsonl:1: after[0] is empty");
  EXPECT_EQ(OnlyError(R"({"command":"x","after":["prep"]})"),
            "m.jsonl:1: \"after\" names \"prep\", which no task has");
  EXPECT_EQ(OnlyError(R"({"id":"a","command":"x","after":["a"]})"),
            "m.jsonl:1: \"after\" names \"a\", the task itself: a task cannot "
            "wait for its own end");
  // A default id is an id like any other, its own included.
  EXPECT_EQ(OnlyError(R"({"command":"x","after":["1"]})"),
            "m.jsonl:1: \"after\" names \"1\", the task itself: a task cannot "
            "wait for its own end");
}

TEST(ManifestTest, RepeatedAfterIdsAreAnError) {
  Parsed parsed = Parse(
      "{\"id\":\"a\",\"command\":\"x\"}\n{\"id\":\"b\",\"command\":\"x\"}\n"
      "{\"command\":\"x\",\"after\":[\"b\",\"a\",\"b\",\"b\",\"a\"]}\n");
  EXPECT_THAT(parsed.errors,
              ElementsAre("m.jsonl:3: \"after\" names \"a\" more than once",
                          "m.jsonl:3: \"after\" names \"b\" more than once"));
}

TEST(ManifestTest, AfterProblemsAreListedInLineOrder) {
  Parsed parsed = Parse(
      "{\"command\":\"x\",\"after\":[\"ghost\"]}\n"
      "{\"command\":5}\n"
      "{\"id\":\"c\",\"command\":\"x\",\"after\":[\"c\",\"1\"]}\n");
  EXPECT_THAT(
      parsed.errors,
      ElementsAre(
          "m.jsonl:1: \"after\" names \"ghost\", which no task has",
          "m.jsonl:2: \"command\" must be a string or an array of strings; "
          "got a number",
          "m.jsonl:3: \"after\" names \"c\", the task itself: a task cannot "
          "wait for its own end"));
  EXPECT_THAT(parsed.manifest.tasks, IsEmpty());
}

// Lines of `{"id":ID,"command":"x","after":[...]}`, one per {id, after}.
std::string Lines(
    const std::vector<std::pair<std::string, std::vector<std::string>>>&
        tasks) {
  std::string text;
  for (const auto& [id, after] : tasks) {
    text += "{\"id\":\"" + id + "\",\"command\":\"x\",\"after\":[";
    for (size_t i = 0; i < after.size(); ++i) {
      text += (i ? ",\"" : "\"") + after[i] + "\"";
    }
    text += "]}\n";
  }
  return text;
}

TEST(ManifestTest, DependencyCycleIsReportedOnceAtItsFirstLine) {
  Parsed parsed = Parse(Lines({{"p1", {}},
                               {"p2", {"p1"}},
                               {"p3", {}},
                               {"p4", {}},
                               {"p5", {}},
                               {"p6", {"p5"}},
                               {"c", {"a", "p1"}},
                               {"a", {"b"}},
                               {"b", {"c"}},
                               {"d", {"a"}}}));
  EXPECT_THAT(parsed.errors,
              ElementsAre("m.jsonl:7: dependency cycle: c -> a -> b -> c"));
  EXPECT_THAT(parsed.manifest.tasks, IsEmpty());
}

TEST(ManifestTest, EachSeparateCycleIsReported) {
  Parsed parsed = Parse(Lines({{"a", {"b"}},
                               {"b", {"a"}},
                               {"ok", {"a"}},
                               {"x", {"z"}},
                               {"y", {"x"}},
                               {"z", {"y"}}}));
  EXPECT_THAT(parsed.errors,
              ElementsAre("m.jsonl:1: dependency cycle: a -> b -> a",
                          "m.jsonl:4: dependency cycle: x -> z -> y -> x"));
}

TEST(ManifestTest, ACycleNamesTheShortestPathAndCountsTheRest) {
  // a, b, c and d all wait for each other; a -> c -> a is the first of the
  // shortest cycles through a.
  Parsed parsed = Parse(Lines(
      {{"a", {"c", "b"}}, {"b", {"d", "a"}}, {"c", {"a"}}, {"d", {"b"}}}));
  EXPECT_THAT(parsed.errors,
              ElementsAre("m.jsonl:1: dependency cycle: a -> c -> a; 2 other "
                          "tasks are in cycles with these too"));
}

TEST(ManifestTest, LongCyclesAndOddIdsAreShownReadably) {
  std::vector<std::pair<std::string, std::vector<std::string>>> ring;
  for (int i = 0; i < 12; ++i) {
    ring.push_back(
        {"t" + std::to_string(i), {"t" + std::to_string((i + 1) % 12)}});
  }
  EXPECT_THAT(Parse(Lines(ring)).errors,
              ElementsAre("m.jsonl:1: dependency cycle of 12 tasks: t0 -> t1 "
                          "-> t2 -> t3 -> ... -> t9 -> t10 -> t11 -> t0"));
  EXPECT_THAT(
      Parse(Lines({{"my task", {"x->y"}}, {"x->y", {"my task"}}})).errors,
      ElementsAre("m.jsonl:1: dependency cycle: \"my task\" -> "
                  "\"x->y\" -> \"my task\""));
}

TEST(ManifestTest, PlainListHasNoTimeoutRetriesOrAfter) {
  Parsed plain = Parse(
      "{\"command\":\"x\",\"after\":[\"nope\"],\"timeout\":-1}\n", "t.txt");
  ASSERT_TRUE(plain.ok);
  const TaskSpec& task = plain.manifest.tasks[0];
  EXPECT_TRUE(task.shell);
  EXPECT_EQ(task.timeout, 0.0);
  EXPECT_EQ(task.retries, 0);
  EXPECT_THAT(task.after, IsEmpty());
}

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
