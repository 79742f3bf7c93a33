// Small pieces of the manifest reader that do not need the JSON parser:
// quoting user text in messages, UTF-8 checking, key suggestions, the rules
// for `function` values and between keys, and the bounds of numeric keys.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/task.h"

namespace sortie::manifest_internal {

/// Whether `c` counts as blank space around a manifest line.
inline bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/// `text` without blank space at either end.
std::string_view Trim(std::string_view text);

/// `text` as a JSON string literal for a message, shortened past 60 bytes
/// (at a character boundary) with the full size noted after it.
std::string Quote(std::string_view text);

/// Byte offset of the first byte that breaks UTF-8 (RFC 3629: no overlong
/// forms, surrogates or code points past U+10FFFF), or npos when valid.
size_t FindInvalidUtf8(std::string_view text);

/// "invalid UTF-8 at column C (byte 0xHH)" for the first bad byte of `line`,
/// which the caller knows is not valid UTF-8.
std::string DescribeInvalidUtf8(std::string_view line);

/// Why `line` is not text, for the first bad byte: a NUL byte or invalid
/// UTF-8, with its column. The caller knows `line` has one or the other.
std::string DescribeBadBytes(std::string_view line);

/// Offset of the first byte below 0x20 or equal to 0x7f, or npos.
size_t FindControlChar(std::string_view text);

/// "a NUL character" or "a control character (\u00XX)" for byte `c`.
std::string DescribeControlChar(char c);

/// The known key that `key` was probably meant to be, or "" when none is
/// close enough. `known` lists the valid keys.
std::string_view SuggestKey(std::string_view key,
                            std::span<const std::string_view> known);

/// Upper bounds of the resource keys. Far above any real machine; they exist
/// so a typo (an extra zero or two) is an error at load time rather than a
/// task that waits forever for nodes that will never exist.
inline constexpr int64_t kMaxNodes = 1'000'000;
inline constexpr int64_t kMaxRanksPerNode = 100'000;
inline constexpr int64_t kMaxCoresPerRank = 100'000;
inline constexpr int64_t kMaxGpusPerRank = 1'024;
/// Bound on ranks_per_node x cores_per_rank, the cores a task takes per node.
inline constexpr int64_t kMaxCoresPerNode = 1'000'000;
/// Bound on `timeout`, in seconds (about 31 years): larger is surely a typo
/// or a unit mix-up.
inline constexpr double kMaxTimeout = 1e9;
/// Bound on `est_runtime`, in seconds, for the same reason; it also keeps
/// sums of estimates (a simulated makespan) far from overflow.
inline constexpr double kMaxEstRuntime = 1e9;
/// Bound on the `seconds` of `sortie:sleep`: larger would overflow the
/// sleep's clock conversion (near 9.2e18 s) and return at once.
inline constexpr double kMaxSleepSeconds = 1e9;
/// Bound on `retries`.
inline constexpr int64_t kMaxRetries = 1'000;

/// The functions built into the pilot, written "sortie:NAME" in a manifest.
inline constexpr std::array<std::string_view, 3> kBuiltinFunctions = {
    "noop", "sleep", "allreduce"};

/// Why `name` is not a valid `function` value ("path/libx.so:symbol" or
/// "sortie:NAME" with a built-in NAME), or "" when it is valid.
std::string CheckFunctionName(std::string_view name);

/// Which keys of one task object were present, for the rules that tie keys
/// together.
struct PresentKeys {
  bool command = false;
  bool function = false;
  bool args = false;
  bool cwd = false;
  bool env = false;
  bool launcher_args = false;
  bool timeout = false;
};

/// Appends one message per broken rule between keys: exactly one of
/// `command` and `function`; `args` only with `function`; no `cwd`, `env`,
/// `launcher_args`, `timeout` or several ranks per node for a function; ranks
/// and cores per node within bounds. `task` holds the values that were valid
/// (defaults for the rest), so a bad value is not reported twice.
void CheckKeyCombination(const PresentKeys& keys, const TaskSpec& task,
                         std::vector<std::string>* problems);

/// How the first top-level object or array of a line is bracketed.
struct LineShape {
  /// Offset just past its closing bracket; npos if it is never closed or
  /// the line does not start with `{` or `[`.
  size_t value_end = std::string_view::npos;
  bool open_string = false;   ///< the line ends inside a string
  bool open_bracket = false;  ///< the line ends with brackets still open
  size_t deepest = 0;         ///< the most brackets open at once
};

/// Matches brackets outside strings without parsing JSON: used only to
/// explain an error the JSON parser already reported.
LineShape ScanShape(std::string_view line);

}  // namespace sortie::manifest_internal
