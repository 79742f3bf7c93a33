// Results without log parsing: what a command task reports through its
// result file ($SORTIE_RESULT, `key=value` lines) and what the manifest's
// `results` patterns find in its stdout. Read by the rank that ran the task,
// right after it ends; the rules are in docs/manifest.md ("results").
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/posix_regex.h"
#include "common/task.h"

namespace sortie {

/// Only the first this many bytes of a result file are read.
inline constexpr size_t kResultFileMaxBytes = size_t{1} << 20;
/// Patterns scan only the last this many bytes of a task's stdout.
inline constexpr size_t kResultScanBytes = size_t{4} << 20;
/// Longer stdout lines are not matched: a failing search costs up to the
/// square of the line's length.
inline constexpr size_t kResultLineMaxBytes = 4096;
/// Patterns stop matching (with a warning) after this long per attempt, so
/// a pathological pattern stalls the worker for seconds, not hours.
inline constexpr double kResultMatchSeconds = 2.0;
/// Longest key and longest value text kept; longer lines are ignored.
inline constexpr size_t kResultKeyMaxBytes = 128;
inline constexpr size_t kResultTextMaxBytes = 1024;
/// Distinct keys kept per attempt; later new keys are ignored.
inline constexpr size_t kMaxResultsPerTask = 1000;

/// Results by key: one value per key, so a later line replaces an earlier.
using ResultMap = std::map<std::string, ResultValue>;

/// `text` as a double when strtod consumes all of it (after trimming
/// blanks); NaN for anything else, including "".
double ResultNumber(std::string_view text);

/// Parses result-file lines into `results`. Blank lines and lines starting
/// with `#` are skipped; keys and values are trimmed of blanks; the first
/// `=` splits. A line without `=`, with an empty key, a key over
/// kResultKeyMaxBytes or with control characters, or a value over
/// kResultTextMaxBytes is ignored with a message in `warnings` ("line N:
/// ..."). A repeated key keeps its last value.
void ParseResultLines(std::string_view text, ResultMap* results,
                      std::vector<std::string>* warnings);

/// Whether `pattern` is a usable `results` regex: "" when it compiles as a
/// POSIX extended regular expression and has exactly one capture group,
/// else why not. `\d` and `\D` are refused: glibc would quietly read them
/// as the letters d and D.
std::string CheckResultPattern(const std::string& pattern);

/// Compiles a task's `results` patterns once and applies them to its
/// output. One per executor: patterns repeat across a manifest's tasks.
class ResultCollector {
 public:
  /// Everything one attempt reported, from its spec's `extras`: each
  /// pattern's last match in the tail of its stdout file, then the lines of
  /// its result file (a key in both takes the file's value). Problems go to
  /// `warnings`.
  std::vector<ResultValue> Collect(const TaskExtras& extras,
                                   std::vector<std::string>* warnings);

  /// Each pattern's key with the capture of its last match in `output`
  /// (searched line by line; lines over kResultLineMaxBytes are skipped;
  /// gives up after kResultMatchSeconds).
  void Match(const std::vector<std::pair<std::string, std::string>>& patterns,
             std::string_view output, ResultMap* results,
             std::vector<std::string>* warnings);

 private:
  const PosixRegex* Compiled(const std::string& pattern,
                             std::vector<std::string>* warnings);

  std::unordered_map<std::string, std::unique_ptr<PosixRegex>> cache_;
};

}  // namespace sortie
