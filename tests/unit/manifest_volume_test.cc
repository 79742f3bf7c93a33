// Manifests written to hurt by their size: lines of 20 and 100 MiB, ten
// million blank lines, a million bad lines, and million-task dependency
// chains, wide "after" lists and dense cycles. Each must load or give capped
// FILE:LINE errors quickly, never crash or recurse. Hostile content (binary
// files, encodings, broken JSON, numbers) is in manifest_hostile_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "manifest_parse.h"
#include "master/manifest.h"

#ifndef SORTIE_SANITIZED
// Counts operator new calls, to show that blank lines allocate nothing.
// Not under sanitizers, which bring their own allocator.
namespace {
std::atomic<size_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
// Out of line, so the compiler does not see free() meet operator new.
__attribute__((noinline)) void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept { ::operator delete(p); }
void operator delete(void* p, std::size_t) noexcept { ::operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { ::operator delete(p); }
#endif

namespace sortie {
namespace {

using testing::Parse;
using testing::Parsed;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

// ---- Long lines ----

TEST(ManifestHostileTest, AHundredMegabyteLineIsRefusedCheaply) {
  std::string text = "{\"command\":\"a\"}\n{\"command\":\"";
  text.append(100 << 20, 'x');
  text += "\"}\n{\"command\":[]}\n";
  const auto start = std::chrono::steady_clock::now();
  for (std::string path : {"m.jsonl", "t.txt"}) {
    Parsed parsed = Parse(text, path);
    EXPECT_FALSE(parsed.ok);
    ASSERT_THAT(parsed.errors, ::testing::Not(IsEmpty()));
    EXPECT_EQ(parsed.errors[0], path +
                                    ":2: the line is too long (104857614 "
                                    "bytes; the limit is 64 MiB)");
  }
  EXPECT_THAT(Parse(text).errors,
              ElementsAre(HasSubstr(":2: the line is too long"),
                          "m.jsonl:3: \"command\" is an empty array"));
  std::printf("3 parses of a 100 MiB line: %.2f s\n", SecondsSince(start));
}

TEST(ManifestHostileTest, LongLinesBelowTheLimitStillWork) {
  std::string big(20 << 20, 'a');
  Parsed good = Parse("{\"command\":\"x\",\"tags\":{\"blob\":\"" + big +
                      "\"}}\n{\"command\":\"y\"}\n");
  ASSERT_TRUE(good.ok) << ::testing::PrintToString(good.errors);
  EXPECT_EQ(good.manifest.tasks[0].tags_json.size(), big.size() + 11);
  EXPECT_EQ(good.manifest.tasks[1].command[0], "y");

  Parsed bad = Parse("{\"command\":\"" + big + "\n{\"command\":[]}\n");
  EXPECT_THAT(bad.errors,
              ElementsAre("m.jsonl:1: invalid JSON: a string is not closed "
                          "with \"",
                          "m.jsonl:2: \"command\" is an empty array"));

  Parsed plain = Parse("echo " + big + "\n", "t.txt");
  ASSERT_TRUE(plain.ok);
  EXPECT_EQ(plain.manifest.tasks[0].command[0].size(), big.size() + 5);
}

// ---- Many lines ----

TEST(ManifestHostileTest, TenMillionBlankLinesAreFastAndAllocateNothing) {
  std::string text(10'000'000, '\n');
  text += "{\"command\":\"last\"}\n";
  Manifest manifest;
  std::vector<ManifestError> errors;
#ifndef SORTIE_SANITIZED
  const size_t before = g_allocations.load();
#endif
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(ParseManifest("m.jsonl", text, ManifestFormat::kAuto, &manifest,
                            &errors));
  const double seconds = SecondsSince(start);
  ASSERT_THAT(manifest.tasks, SizeIs(1));
  EXPECT_EQ(manifest.tasks[0].line, 10'000'001u);
  EXPECT_EQ(manifest.tasks[0].id, "10000001");
  std::printf("10M blank lines: %.3f s\n", seconds);
#ifndef SORTIE_SANITIZED
  const size_t allocations = g_allocations.load() - before;
  std::printf("allocations: %zu\n", allocations);
  EXPECT_LT(allocations, 100u);  // per file, not per line
  EXPECT_LT(seconds, 2.0);
#endif
}

TEST(ManifestHostileTest, MillionsOfBlankSpaceAndCommentLines) {
  std::string text;
  for (int i = 0; i < 1'000'000; ++i) text += " \t\r\n#\n\r\n";
  text += "echo last\n";
  for (std::string path : {"m.jsonl", "t.txt"}) {
    Parsed parsed = Parse(text, path);
    const bool json = path == "m.jsonl";
    EXPECT_EQ(parsed.ok, !json);
    if (json) {
      EXPECT_THAT(parsed.errors, ElementsAre(StartsWith("m.jsonl:3000001: ")));
    } else {
      ASSERT_THAT(parsed.manifest.tasks, SizeIs(1));
      EXPECT_EQ(parsed.manifest.tasks[0].id, "3000001");
    }
  }
}

TEST(ManifestHostileTest, ErrorListIsCappedWithACount) {
  std::string text;
  for (int i = 0; i < 10005; ++i) text += "{\"command\":1}\n";
  Parsed parsed = Parse(text);
  ASSERT_THAT(parsed.errors, SizeIs(10001));
  EXPECT_THAT(parsed.errors[9999], StartsWith("m.jsonl:10000: "));
  EXPECT_EQ(parsed.errors[10000],
            "m.jsonl: 5 more errors not shown (the first 10000 are listed)");
}

TEST(ManifestHostileTest, CappedErrorsStayInLineOrder) {
  // The unknown id on line 1 is found after every line was read, when the
  // list is already full; it still comes first.
  std::string text = "{\"command\":\"x\",\"after\":[\"ghost\"]}\n";
  for (int i = 0; i < 10005; ++i) text += "{\"command\":1}\n";
  Parsed parsed = Parse(text);
  ASSERT_THAT(parsed.errors, SizeIs(10001));
  EXPECT_EQ(parsed.errors[0],
            "m.jsonl:1: \"after\" names \"ghost\", which no task has");
  EXPECT_THAT(parsed.errors[9999], StartsWith("m.jsonl:10000: "));
  EXPECT_EQ(parsed.errors[10000],
            "m.jsonl: 6 more errors not shown (the first 10000 are listed)");
}

TEST(ManifestHostileTest, AMillionBadLinesAreReportedQuickly) {
  std::string text;
  for (int i = 0; i < 1'000'000; ++i) text += "{\"command\":\n";
  const auto start = std::chrono::steady_clock::now();
  Parsed parsed = Parse(text);
  std::printf("1M bad lines: %.3f s\n", SecondsSince(start));
  ASSERT_THAT(parsed.errors, SizeIs(10001));
  EXPECT_EQ(parsed.errors[10000],
            "m.jsonl: 990000 more errors not shown (the first 10000 are "
            "listed)");
}

// ---- Dependency chains and cycles ----

// `count` tasks t0, t1, ...; each after the one before it (t0 after none).
std::string Chain(int count) {
  std::string text;
  text.reserve(static_cast<size_t>(count) * 48);
  text += "{\"id\":\"t0\",\"command\":\"x\"}\n";
  for (int i = 1; i < count; ++i) {
    text += "{\"id\":\"t" + std::to_string(i) +
            "\",\"command\":\"x\",\"after\":[\"t" + std::to_string(i - 1) +
            "\"]}\n";
  }
  return text;
}

// A million under sanitizers takes ~15 s; a fifth still shows the search
// is iterative (a recursive one overflows far sooner with their frames).
#ifdef SORTIE_SANITIZED
constexpr int kChainTasks = 200'000;
#else
constexpr int kChainTasks = 1'000'000;
#endif

TEST(ManifestHostileTest, AMillionTaskChainAndACycleThroughIt) {
  std::string text = Chain(kChainTasks);
  auto start = std::chrono::steady_clock::now();
  {
    Parsed parsed = Parse(text);
    std::printf("%d-task chain: %.3f s\n", kChainTasks, SecondsSince(start));
    ASSERT_TRUE(parsed.ok) << ::testing::PrintToString(parsed.errors);
    ASSERT_THAT(parsed.manifest.tasks, SizeIs(kChainTasks));
    EXPECT_THAT(parsed.manifest.tasks[0].after, IsEmpty());
    EXPECT_THAT(parsed.manifest.tasks[kChainTasks - 1].after,
                ElementsAre(static_cast<uint32_t>(kChainTasks - 2)));
  }
  // Close the ring: t0 after the last task.
  auto id = [](int i) { return "t" + std::to_string(i); };
  const int last = kChainTasks - 1;
  text.replace(
      0, text.find('\n'),
      "{\"id\":\"t0\",\"command\":\"x\",\"after\":[\"" + id(last) + "\"]}");
  start = std::chrono::steady_clock::now();
  Parsed cycle = Parse(text);
  std::printf("%d-task cycle: %.3f s\n", kChainTasks, SecondsSince(start));
  EXPECT_THAT(cycle.errors,
              ElementsAre("m.jsonl:1: dependency cycle of " +
                          std::to_string(kChainTasks) + " tasks: t0 -> " +
                          id(last) + " -> " + id(last - 1) + " -> " +
                          id(last - 2) + " -> ... -> t3 -> t2 -> t1 -> t0"));
}

TEST(ManifestHostileTest, WideAfterListsAndDenseCycles) {
  constexpr int kTasks = 100'000;
  std::string text;
  std::string after = "[";
  for (int i = 0; i < kTasks; ++i) {
    text += "{\"id\":\"w" + std::to_string(i) + "\",\"command\":\"x\"}\n";
    after += (i ? ",\"w" : "\"w") + std::to_string(i) + "\"";
  }
  after += "]";
  Parsed fan_in = Parse(text + "{\"command\":\"x\",\"after\":" + after + "}\n");
  ASSERT_TRUE(fan_in.ok);
  EXPECT_THAT(fan_in.manifest.tasks.back().after, SizeIs(kTasks));
  // The same id 100,000 times: one message.
  std::string same = "[\"w1\"";
  for (int i = 1; i < kTasks; ++i) same += ",\"w1\"";
  EXPECT_THAT(
      Parse(text + "{\"command\":\"x\",\"after\":" + same + "]}\n").errors,
      ElementsAre(HasSubstr("\"after\" names \"w1\" more than once")));
  // 300 tasks each after all the others: one group, one message.
  std::string dense;
  for (int i = 0; i < 300; ++i) {
    dense +=
        "{\"id\":\"d" + std::to_string(i) + "\",\"command\":\"x\",\"after\":[";
    for (int j = 0; j < 300; ++j) {
      if (j == i) continue;
      dense +=
          (j == (i == 0 ? 1 : 0) ? "\"d" : ",\"d") + std::to_string(j) + "\"";
    }
    dense += "]}\n";
  }
  EXPECT_THAT(Parse(dense).errors,
              ElementsAre("m.jsonl:1: dependency cycle: d0 -> d1 -> d0; 298 "
                          "other tasks are in cycles with these too"));
}

}  // namespace
}  // namespace sortie
