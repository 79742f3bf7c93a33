// Scratch directories and file reading shared by the unit tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace sortie {

/// Where the tests' directories go: $SORTIE_TEST_TMP (which ctest sets to
/// the build tree) or else the system's temp directory.
inline std::filesystem::path TestTmpRoot() {
  const char* base = std::getenv("SORTIE_TEST_TMP");
  return base != nullptr ? base : ::testing::TempDir();
}

/// A fresh, empty directory for the running test, under TestTmpRoot(),
/// named `<prefix>.<suite>.<test>`: no two tests share one, and a test run
/// again starts from an empty one (ctest runs each test in a process of its
/// own, several at once).
inline std::filesystem::path FreshTestDir(const std::string& prefix) {
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = prefix;
  if (test != nullptr) {
    name += std::string(".") + test->test_suite_name() + "." + test->name();
  }
  for (char& c : name) c = c == '/' ? '_' : c;  // parameterised tests
  const std::filesystem::path dir = TestTmpRoot() / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

/// A fixture giving each test a fresh directory of its own, `dir_`
/// (FreshTestDir). It is removed after a test that passed and kept after
/// one that failed, so that its files can be looked at.
class TestWithDir : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = FreshTestDir("test"); }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
};

/// The bytes of `path`; empty when it cannot be read.
inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace sortie
