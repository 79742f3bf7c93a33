#include "master/manifest_ahead.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "common/sha256.h"
#include "test_dir.h"

namespace sortie {
namespace {

std::string WriteManifest(const std::string& name, const std::string& text) {
  const std::filesystem::path dir = TestTmpRoot() / "manifest_ahead_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// The environment LauncherSaysRankZero sees in a test.
std::map<std::string, std::string> g_env;
const char* FakeGetenv(const char* name) {
  auto it = g_env.find(name);
  return it == g_env.end() ? nullptr : it->second.c_str();
}

TEST(ManifestAheadTest, EachLaunchersRankVariableIsRead) {
  g_env.clear();
  EXPECT_FALSE(LauncherSaysRankZero(FakeGetenv));
  for (const char* name : {"PMI_RANK", "PMIX_RANK", "OMPI_COMM_WORLD_RANK",
                           "SLURM_PROCID", "PALS_RANKID"}) {
    g_env = {{name, "0"}};
    EXPECT_TRUE(LauncherSaysRankZero(FakeGetenv)) << name;
    g_env = {{name, "3"}};
    EXPECT_FALSE(LauncherSaysRankZero(FakeGetenv)) << name;
    g_env = {{name, "00"}};
    EXPECT_FALSE(LauncherSaysRankZero(FakeGetenv)) << name;
  }
  // The MPI library's own variable comes before the batch system's.
  g_env = {{"PMI_RANK", "2"}, {"SLURM_PROCID", "0"}};
  EXPECT_FALSE(LauncherSaysRankZero(FakeGetenv));
}

TEST(ManifestAheadTest, ReadAheadOrNotGivesWhatLoadManifestGives) {
  const std::string text =
      "{\"id\": \"a\", \"command\": \"true\"}\n{\"function\": "
      "\"sortie:noop\", \"after\": [\"a\"]}\n";
  const std::string path = WriteManifest("good.jsonl", text);
  for (bool start : {true, false}) {
    ManifestAhead ahead(path, ManifestFormat::kAuto, start);
    LoadedManifest loaded = ahead.Take();
    ASSERT_TRUE(loaded.valid) << start;
    EXPECT_TRUE(loaded.errors.empty());
    ASSERT_EQ(loaded.manifest.tasks.size(), 2u);
    EXPECT_EQ(loaded.manifest.tasks[1].function, "sortie:noop");
    EXPECT_EQ(loaded.manifest.tasks[1].after, std::vector<uint32_t>{0});
    EXPECT_EQ(loaded.manifest.sha256, Sha256Hex(text));
  }
}

TEST(ManifestAheadTest, ProblemsComeBackAsErrorsNotThrows) {
  const std::string bad =
      WriteManifest("bad.jsonl", "{\"command\": \"true\"}\n{\"command\": }\n");
  for (bool start : {true, false}) {
    LoadedManifest loaded =
        ManifestAhead(bad, ManifestFormat::kAuto, start).Take();
    EXPECT_FALSE(loaded.valid);
    ASSERT_EQ(loaded.errors.size(), 1u);
    EXPECT_EQ(loaded.errors[0].line, 2u);
    EXPECT_TRUE(loaded.manifest.tasks.empty());
    LoadedManifest missing =
        ManifestAhead("/nonexistent/m.jsonl", ManifestFormat::kAuto, start)
            .Take();
    EXPECT_FALSE(missing.valid);
    ASSERT_EQ(missing.errors.size(), 1u);
    EXPECT_NE(missing.errors[0].message.find("cannot open"), std::string::npos);
  }
}

}  // namespace
}  // namespace sortie
