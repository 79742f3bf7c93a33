// Manifests written to hurt by what they hold: binary files and archives,
// broken encodings, every truncation of a line, deep nesting, numbers out of
// range or malformed, and the committed fuzz seeds. Each must give FILE:LINE
// errors (or load), never crash. Huge lines, millions of lines and
// million-task chains are in manifest_volume_test.cc; the ordinary cases are
// in the other manifest_*_test.cc files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "manifest_parse.h"
#include "master/manifest.h"

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
}

TEST(ManifestHostileTest, AStrayNulIsAnErrorOnItsLineWithItsColumn) {
  const std::string nul_says =
      "; a manifest is text and must not contain NUL bytes";
  // One stray NUL is a problem of its line, not of the file: in a string,
  // outside one, in a comment and in a plain list's command alike.
  using namespace std::string_literals;
  EXPECT_THAT(Parse("{\"command\":\"a\"}\n{\"command\":\"tr\0ue\"}\n"s).errors,
              ElementsAre("m.jsonl:2: a NUL byte at column 15" + nul_says));
  EXPECT_THAT(Parse("{\"command\":\"a\"}\0\n"s).errors,
              ElementsAre("m.jsonl:1: a NUL byte at column 16" + nul_says));
  EXPECT_THAT(Parse("# com\0ment\n{\"command\":\"true\"}\n"s).errors,
              ElementsAre("m.jsonl:1: a NUL byte at column 6" + nul_says));
  EXPECT_THAT(Parse("echo a\0b\n"s, "t.txt").errors,
              ElementsAre("t.txt:1: a NUL byte at column 7" + nul_says));
  EXPECT_THAT(Parse("# \0\necho ok\n"s, "t.txt").errors,
              ElementsAre("t.txt:1: a NUL byte at column 3" + nul_says));
  // Whichever bad byte comes first is the one reported.
  EXPECT_THAT(Parse("echo \xff\0\n"s, "t.txt").errors,
              ElementsAre("t.txt:1: invalid UTF-8 at column 6 (byte 0xff)"));
  EXPECT_THAT(Parse("echo \xc3\0\n"s, "t.txt").errors,
              ElementsAre("t.txt:1: invalid UTF-8 at column 6 (byte 0xc3)"));
  EXPECT_THAT(Parse("echo \0\xff\n"s, "t.txt").errors,
              ElementsAre("t.txt:1: a NUL byte at column 6" + nul_says));
  // Past the first 8000 bytes, many NULs are line errors too, one a line.
  const std::string lines =
      std::string(9000, '#') + "\n" + "a\0\0\n"s + "b\0\n"s;
  EXPECT_THAT(Parse(lines, "t.txt").errors,
              ElementsAre("t.txt:2: a NUL byte at column 2" + nul_says,
                          "t.txt:3: a NUL byte at column 2" + nul_says));
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
  // Unclosed too: the depth is what the message names, as documented.
  EXPECT_EQ(
      OnlyError("{\"command\":\"x\",\"after\":" + std::string(1000000, '[')),
      too_deep);
  EXPECT_EQ(OnlyError(std::string(1000000, '[')), too_deep);
  EXPECT_EQ(OnlyError(std::string(100, '[')),
            "m.jsonl:1: invalid JSON: an object or array is not closed with } "
            "or ]");
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  EXPECT_EQ(OnlyError(objects + "1" + std::string(100000, '}')), too_deep);
  // In a plain list brackets are just text.
  EXPECT_TRUE(Parse(std::string(100000, '[') + "\n", "t.txt").ok);
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

// ---- Fuzz corpus ----

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
