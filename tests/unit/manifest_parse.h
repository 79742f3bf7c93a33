// Shared by the manifest tests: parse text or a file and keep the errors as
// the strings a user sees.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "master/manifest.h"

namespace sortie::testing {

/// What a parse gave: its verdict, the tasks, and every error as
/// ManifestError::ToString() prints it.
struct Parsed {
  bool ok = false;
  Manifest manifest;
  std::vector<std::string> errors;
};

/// Keeps a parse's outcome with its errors as text.
inline Parsed Collect(bool ok, Manifest manifest,
                      const std::vector<ManifestError>& errors) {
  Parsed parsed{ok, std::move(manifest), {}};
  for (const ManifestError& error : errors) {
    parsed.errors.push_back(error.ToString());
  }
  return parsed;
}

/// Parses manifest text as if it came from the file `path`.
inline Parsed Parse(std::string_view text, const std::string& path = "m.jsonl",
                    ManifestFormat format = ManifestFormat::kAuto) {
  Manifest manifest;
  std::vector<ManifestError> errors;
  bool ok = ParseManifest(path, text, format, &manifest, &errors);
  return Collect(ok, std::move(manifest), errors);
}

/// The single error a one-line bad manifest must produce.
inline std::string OnlyError(std::string_view line) {
  Parsed parsed = Parse(std::string(line) + "\n");
  EXPECT_FALSE(parsed.ok) << line;
  EXPECT_THAT(parsed.manifest.tasks, ::testing::IsEmpty());
  EXPECT_THAT(parsed.errors, ::testing::SizeIs(1)) << line;
  return parsed.errors.empty() ? "" : parsed.errors[0];
}

}  // namespace sortie::testing
