// Shared by the manifest tests split from manifest_test.cc, on top of
// manifest_parse.h: the one valid task of a line, and the directory that
// relative paths resolve against.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "manifest_parse.h"
#include "master/manifest.h"

namespace sortie::testing {

/// The only task of a one-line manifest that must be valid; a default
/// TaskSpec (after a failed expectation) when the line is not.
inline TaskSpec OnlyTask(std::string_view line) {
  Parsed parsed = Parse(std::string(line) + "\n");
  EXPECT_TRUE(parsed.ok) << line << ": "
                         << ::testing::PrintToString(parsed.errors);
  EXPECT_THAT(parsed.manifest.tasks, ::testing::SizeIs(1)) << line;
  return parsed.manifest.tasks.empty() ? TaskSpec{} : parsed.manifest.tasks[0];
}

/// The current directory, against which a manifest's relative paths become
/// absolute.
inline std::string Cwd() { return std::filesystem::current_path().string(); }

}  // namespace sortie::testing
