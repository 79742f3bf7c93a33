// Reading a task manifest: JSON Lines (one task object per line) or a plain
// list of shell commands. Every problem is collected as FILE:LINE: message so a
// user sees all bad lines at once, and nothing runs unless the list is empty.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/task.h"

namespace sortie {

/// How the manifest's lines are read.
enum class ManifestFormat {
  kAuto,       ///< by extension, then by the first meaningful line
  kJsonLines,  ///< one JSON object per line
  kPlain,      ///< one shell command per line
};

/// One problem found in a manifest.
struct ManifestError {
  std::string file;
  uint64_t line = 0;  ///< 1-based; 0 when the problem is the file itself
  std::string message;
  /// How many problems this entry stands for: 1, or N for the closing
  /// "N more errors not shown" note of a list cut short.
  uint64_t count = 1;

  /// "FILE:LINE: message" (or "FILE: message" when line is 0).
  std::string ToString() const;
};

/// A parsed manifest. Tasks are in manifest order; a task's row is its index.
struct Manifest {
  std::string path;
  std::string sha256;  ///< hex digest of the file's bytes
  std::vector<TaskSpec> tasks;
};

/// Reads and checks the manifest at `path`. Returns true when it is valid;
/// otherwise `errors` holds every problem found (in line order; past 10,000
/// the first 10,000 and a note counting the rest) and `out`
/// must not be run. Relative `cwd`, `stdout` and `stderr` paths are made
/// absolute against the current directory. Never throws on bad input.
bool LoadManifest(const std::string& path, ManifestFormat format, Manifest* out,
                  std::vector<ManifestError>* errors);

/// Parses manifest text already in memory (for tests and fuzzing); `path` is
/// used only in error messages and format detection.
bool ParseManifest(const std::string& path, std::string_view text,
                   ManifestFormat format, Manifest* out,
                   std::vector<ManifestError>* errors);

}  // namespace sortie
