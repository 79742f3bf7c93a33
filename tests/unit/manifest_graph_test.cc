// Task ids and the dependencies between them: default and duplicate ids,
// `after` lists resolved to rows in either direction, and dependency cycles
// reported once each, readably.
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

using testing::OnlyError;
using testing::OnlyTask;
using testing::Parse;
using testing::Parsed;

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// ---- Ids ----

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
TEST(ManifestTest, AnIdChangedForItsFileNameMustNotBeAnotherTasksId) {
  // "a/b" on row 0 writes a_b.0.out: the files of the task "a_b.0".
  EXPECT_THAT(
      Parse("{\"id\":\"a/b\",\"command\":\"x\"}\n"
            "{\"id\":\"a_b.0\",\"command\":\"y\"}\n")
          .errors,
      ElementsAre("m.jsonl:2: task \"a_b.0\" would write the same output files "
                  "as task \"a/b\" (line 1), whose id is not a safe file name "
                  "and becomes \"a_b.0\" in file names; rename one"));
  // Either order; the row is the task's, not its line.
  EXPECT_THAT(
      Parse("# c\n{\"id\":\"_.x.1\",\"command\":\"y\"}\n"
            "{\"id\":\".x\",\"command\":\"x\"}\n")
          .errors,
      ElementsAre("m.jsonl:2: task \"_.x.1\" would write the same output files "
                  "as task \".x\" (line 3), whose id is not a safe file name "
                  "and becomes \"_.x.1\" in file names; rename one"));
  // No files in common: another row's suffix, an unchanged id, a function
  // (which has no default files) on either side.
  EXPECT_TRUE(Parse("{\"id\":\"a/b\",\"command\":\"x\"}\n"
                    "{\"id\":\"a_b.1\",\"command\":\"y\"}\n"
                    "{\"id\":\"a_b\",\"command\":\"y\"}\n")
                  .ok);
  EXPECT_TRUE(Parse("{\"id\":\"a/b\",\"command\":\"x\"}\n"
                    "{\"id\":\"a_b.0\",\"function\":\"sortie:noop\"}\n")
                  .ok);
  EXPECT_TRUE(Parse("{\"id\":\"a/b\",\"function\":\"sortie:noop\"}\n"
                    "{\"id\":\"a_b.0\",\"command\":\"y\"}\n")
                  .ok);
}

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

// ---- after ----

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

// ---- Dependency cycles ----

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

}  // namespace
}  // namespace sortie
