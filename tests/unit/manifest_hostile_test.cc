// Manifests written to hurt: binary files, broken encodings, huge lines and
// numbers, deep nesting, millions of lines, million-task dependency chains.
// Each must give FILE:LINE errors (or load) quickly, never crash. The
// ordinary cases are in the other manifest_*_test.cc files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <random>
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

using testing::Collect;
using testing::OnlyError;
using testing::Parse;
using testing::Parsed;

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

Parsed Load(const std::string& path,
            ManifestFormat format = ManifestFormat::kAuto) {
  Manifest manifest;
  std::vector<ManifestError> errors;
  bool ok = LoadManifest(path, format, &manifest, &errors);
  return Collect(ok, std::move(manifest), errors);
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

std::string RandomBytes(size_t size, unsigned seed, bool allow_nul) {
  std::mt19937 rng(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) {
    c = static_cast<char>(rng() & 0xff);
    if (!allow_nul && c == '\0') c = 1;
  }
  return bytes;
}

// ---- Encodings and binary files ----

TEST(ManifestHostileTest, InvalidUtf8IsReportedInBothFormats) {
  Parsed plain = Parse("echo ok\necho \xff\xfe\n# caf\xc3\n", "t.txt");
  EXPECT_THAT(plain.errors,
              ElementsAre("t.txt:2: invalid UTF-8 at column 6 (byte 0xff)",
                          "t.txt:3: invalid UTF-8 at column 6 (byte 0xc3)"));
  // Overlong encodings and UTF-16 surrogates are not UTF-8 either.
  Parsed json =
      Parse("{\"command\":\"\xc0\xaf\"}\n{\"command\":\"\xed\xa0\x80\"}\n");
  EXPECT_THAT(json.errors,
              ElementsAre("m.jsonl:1: invalid UTF-8 at column 13 (byte 0xc0)",
                          "m.jsonl:2: invalid UTF-8 at column 13 (byte 0xed)"));
  // Cut inside a character at the end of the file, and inside an id.
  EXPECT_THAT(Parse("{\"command\":\"caf\xc3").errors,
              ElementsAre("m.jsonl:1: invalid UTF-8 at column 16 (byte 0xc3)"));
  EXPECT_EQ(OnlyError("{\"command\":\"x\",\"after\":[\"\xf4\x90\x80\x80\"]}"),
            "m.jsonl:1: invalid UTF-8 at column 26 (byte 0xf4)");
}

TEST(ManifestHostileTest, RandomBytesGiveOneBinaryFileError) {
  const std::string blob = RandomBytes(1 << 20, 42, true);
  for (std::string path : {"blob.bin", "blob.jsonl", "blob.txt"}) {
    Parsed parsed = Parse(blob, path);
    EXPECT_FALSE(parsed.ok) << path;
    EXPECT_THAT(parsed.manifest.tasks, IsEmpty());
    ASSERT_THAT(parsed.errors, SizeIs(1));
    EXPECT_THAT(
        parsed.errors[0],
        AllOf(StartsWith(path + ":"), HasSubstr(": a NUL byte at column "),
              HasSubstr("this looks like a binary file (or UTF-16 "
                        "text), not a manifest")));
  }
}

TEST(ManifestHostileTest, RandomBytesWithoutNulsGiveLineErrors) {
  const std::string blob = RandomBytes(1 << 20, 7, false);
  for (std::string path : {"blob.jsonl", "blob.txt"}) {
    Parsed parsed = Parse(blob, path);
    EXPECT_FALSE(parsed.ok);
    EXPECT_THAT(parsed.manifest.tasks, IsEmpty());
    ASSERT_THAT(parsed.errors, ::testing::Not(IsEmpty()));
    EXPECT_THAT(parsed.errors[0], StartsWith(path + ":1: invalid UTF-8"));
    EXPECT_LE(parsed.errors.size(), 10001u);
  }
}

TEST(ManifestHostileTest, AnExecutableIsNotAManifest) {
  for (ManifestFormat format :
       {ManifestFormat::kAuto, ManifestFormat::kJsonLines,
        ManifestFormat::kPlain}) {
    Parsed parsed = Load("/bin/true", format);
    EXPECT_FALSE(parsed.ok);
    EXPECT_THAT(parsed.errors,
                ElementsAre("/bin/true:1: this is an ELF executable or "
                            "library, not a manifest"));
  }
}

TEST(ManifestHostileTest, EndlessDevicesAreRefusedWithoutReadingThemWhole) {
  Parsed zero = Load("/dev/zero");
  EXPECT_THAT(zero.errors,
              ElementsAre("/dev/zero:1: a NUL byte at column 1: this looks "
                          "like a binary file (or UTF-16 text), not a "
                          "manifest"));
  Parsed random = Load("/dev/urandom");
  EXPECT_FALSE(random.ok);
  EXPECT_THAT(random.errors, SizeIs(1));
}

TEST(ManifestHostileTest, ArchivesAndOtherEncodingsAreNamed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {std::string("\x1f\x8b\x08\x00rest", 8),
       "this file is gzip-compressed; decompress it first (gunzip)"},
      {std::string("\xfd"
                   "7zXZ\0\0",
                   7),
       "this file is xz-compressed; decompress it first (unxz)"},
      {"BZh91AY&SYrest",
       "this file is bzip2-compressed; decompress it first (bunzip2)"},
      {"PK\x03\x04rest", "this is a zip archive, not a manifest"},
      {"\x89HDF\r\n\x1a\nrest",
       "this is an HDF5 file (such as a run.h5), not a manifest"},
      {std::string("\xff\xfe{\0\"\0", 6),
       "the file is UTF-16 text; save it as UTF-8"},
      {std::string("\xff\xfe\0\0{\0\0\0", 8),
       "the file is UTF-32 text; save it as UTF-8"},
      {std::string("e\0c\0h\0o\0\n\0", 10),
       "a NUL byte at column 2: this looks like a binary file (or UTF-16 "
       "text), not a manifest"},
  };
  for (const auto& [text, message] : cases) {
    EXPECT_THAT(Parse(text, "m").errors, ElementsAre("m:1: " + message));
  }
  // One stray NUL is a problem of its line, not of the file.
  EXPECT_THAT(
      Parse(std::string("{\"command\":\"a\"}\n{\"command\":\"\0\"}\n", 32))
          .errors,
      ElementsAre("m.jsonl:2: invalid JSON: a string contains a raw control "
                  "character (write a tab as \\t, a newline as \\n)"));
}

// ---- Broken JSON ----

TEST(ManifestHostileTest, EveryTruncationOfALineIsAnErrorOnItsLine) {
  const std::string good = "{\"id\":\"t0\",\"command\":\"x\"}\n";
  const std::string line =
      "{\"id\":\"t1\",\"command\":[\"./sim\",\"\\u00e9\"],\"env\":{\"A\":"
      "\"1\"},\"tags\":{\"k\":[1,{\"z\":null}],\"f\":-2.5e-3},"
      "\"timeout\":60,\"retries\":2,\"after\":[\"t0\"]}";
  ASSERT_TRUE(Parse(good + line).ok);
  for (size_t length = 1; length < line.size(); ++length) {
    Parsed parsed = Parse(good + line.substr(0, length));
    EXPECT_FALSE(parsed.ok) << length;
    ASSERT_THAT(parsed.errors, ::testing::Not(IsEmpty())) << length;
    for (const std::string& error : parsed.errors) {
      EXPECT_THAT(error, StartsWith("m.jsonl:2: ")) << length;
    }
  }
}

TEST(ManifestHostileTest, DeepNestingIsReportedNotFatal) {
  auto nested = [](size_t depth) {
    return "{\"command\":\"x\",\"tags\":{\"a\":" + std::string(depth, '[') +
           std::string(depth, ']') + "}}";
  };
  EXPECT_TRUE(Parse(nested(1000)).ok);
  const std::string too_deep =
      "m.jsonl:1: invalid JSON: arrays and objects are nested too deeply "
      "(the limit is 1024 levels)";
  EXPECT_EQ(OnlyError(nested(5000)), too_deep);
  EXPECT_EQ(OnlyError(nested(1000000)), too_deep);
  EXPECT_THAT(
      OnlyError("{\"command\":\"x\",\"after\":" + std::string(1000000, '[')),
      StartsWith("m.jsonl:1: invalid JSON: "));
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  EXPECT_EQ(OnlyError(objects + "1" + std::string(100000, '}')), too_deep);
  // In a plain list brackets are just text.
  EXPECT_TRUE(Parse(std::string(100000, '[') + "\n", "t.txt").ok);
}

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

// ---- Numbers ----

TEST(ManifestHostileTest, NumbersOutOfRangeNameTheNumberAndColumn) {
  const std::string ints =
      "(integers must be from -9223372036854775808 to 18446744073709551615)";
  EXPECT_EQ(OnlyError(R"({"command":"x","nodes":99999999999999999999})"),
            "m.jsonl:1: invalid JSON: the integer 99999999999999999999 at "
            "column 24 is out of range " +
                ints);
  EXPECT_EQ(OnlyError(R"({"command":"x","priority":-9223372036854775809})"),
            "m.jsonl:1: invalid JSON: the integer -9223372036854775809 at "
            "column 27 is out of range " +
                ints);
  EXPECT_EQ(OnlyError(R"({"command":"x","timeout":1e400})"),
            "m.jsonl:1: invalid JSON: the number 1e400 at column 26 is out "
            "of range (the largest is about 1.8e308)");
  EXPECT_EQ(OnlyError(R"({"command":"x","tags":{"a":[1,-1E+999]}})"),
            "m.jsonl:1: invalid JSON: the number -1E+999 at column 31 is out "
            "of range (the largest is about 1.8e308)");
  EXPECT_EQ(
      OnlyError(R"({"command":"x","retries":)" + std::string(1000, '7') + "}"),
      "m.jsonl:1: invalid JSON: the integer " + std::string(40, '7') +
          "... (1000 characters) at column 26 is out of range " + ints);
  // Within 64 bits but beyond every key's range: the key's own message.
  EXPECT_EQ(OnlyError(R"({"command":"x","nodes":18446744073709551615})"),
            "m.jsonl:1: \"nodes\" must be at most 1000000 (got "
            "18446744073709551615)");
  // Too small to be told from 0, which is not > 0.
  EXPECT_EQ(OnlyError(R"({"command":"x","timeout":1e-400})"),
            "m.jsonl:1: \"timeout\" must be a number of seconds > 0 (leave it "
            "out for no limit; got 0.0)");
}

TEST(ManifestHostileTest, MalformedNumbersAndNegativeZero) {
  for (std::string number : {"01", "-", "1.", "1e", "0x10", "-Infinity"}) {
    const std::string line = R"({"command":"x","nodes":)" + number + "}";
    EXPECT_EQ(OnlyError(line), "m.jsonl:1: invalid JSON: the number \"" +
                                   number +
                                   "\" at column 24 is malformed (JSON "
                                   "numbers look like 12, -3, 0.5 or 1e6)");
  }
  EXPECT_THAT(OnlyError(R"({"command":"x","nodes":NaN})"),
              StartsWith("m.jsonl:1: invalid JSON: "));
  // -0 is the integer 0; -0.0 is a float.
  EXPECT_THAT(
      Parse(R"({"command":"x","retries":-0,"gpus_per_rank":-0})").errors,
      IsEmpty());
  EXPECT_EQ(OnlyError(R"({"command":"x","gpus_per_rank":-0.0})"),
            "m.jsonl:1: \"gpus_per_rank\" must be an integer >= 0 (got -0.0)");
  EXPECT_EQ(OnlyError(R"({"command":"x","timeout":-0})"),
            "m.jsonl:1: \"timeout\" must be a number of seconds > 0 (leave it "
            "out for no limit; got 0)");
}

TEST(ManifestHostileTest, NegativeValuesAreRefusedForEveryKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"nodes", "an integer >= 1"},
      {"ranks_per_node", "an integer >= 1"},
      {"cores_per_rank", "an integer >= 1"},
      {"gpus_per_rank", "an integer >= 0"},
      {"retries", "an integer >= 0"},
      {"est_runtime", "a number of seconds > 0"},
      {"timeout", "a number of seconds > 0"},
  };
  for (const auto& [key, rule] : cases) {
    for (std::string value : {"-1", "-2147483649", "-1e300"}) {
      EXPECT_THAT(OnlyError(R"({"command":"x",")" + key + "\":" + value + "}"),
                  StartsWith("m.jsonl:1: \"" + key + "\" must be " + rule))
          << key << " " << value;
    }
  }
}

// ---- Volume ----

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

// The committed fuzz seeds, through the ordinary (non-fuzzer) build.
TEST(ManifestHostileTest, FuzzCorpusSeedsKeepTheReadersPromises) {
  const std::filesystem::path corpus =
      std::filesystem::path(__FILE__).parent_path() / "../fuzz/corpus/manifest";
  if (!std::filesystem::is_directory(corpus)) {
    GTEST_SKIP() << "no corpus at " << corpus;
  }
  size_t seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)),
                           std::istreambuf_iterator<char>());
    for (ManifestFormat format :
         {ManifestFormat::kAuto, ManifestFormat::kJsonLines,
          ManifestFormat::kPlain}) {
      Parsed parsed = Parse(text, entry.path().filename().string(), format);
      EXPECT_EQ(parsed.ok, parsed.errors.empty()) << entry.path();
      if (!parsed.ok) {
        EXPECT_THAT(parsed.manifest.tasks, IsEmpty());
      }
    }
    ++seeds;
  }
  EXPECT_GT(seeds, 10u);
}

}  // namespace
}  // namespace sortie
