// Whole manifests: reading the file, choosing JSON lines or a plain list,
// the lines that hold no task (comments, blanks, CRLF, a byte order mark),
// and errors collected over every line. One line's keys are in
// manifest_json_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/sha256.h"
#include "manifest_fixtures.h"
#include "manifest_parse.h"
#include "master/manifest.h"
#include "test_dir.h"

namespace sortie {
namespace {

using testing::Cwd;
using testing::Parse;
using testing::Parsed;

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

// One directory for the whole binary: every test writes files of its own
// name there, and one test reads the directory itself as a manifest.
std::filesystem::path TestDir() {
  const std::filesystem::path dir = TestTmpRoot() / "manifest_file_test";
  std::filesystem::create_directories(dir);
  return dir;
}

std::string WriteFile(const std::string& name, std::string_view text) {
  std::string path = (TestDir() / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// ---- Reading the file ----

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

// ---- Lines that hold no task ----

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

// ---- Plain lists and format detection ----

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

// ---- Errors over many lines ----

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

}  // namespace
}  // namespace sortie
