// The manifest as bytes, before any line is parsed: reading the file,
// telling the format, sizing the reader, and recognising files that are not
// text at all (binaries, archives, UTF-16) so they get one clear message
// instead of thousands of confusing ones.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "master/manifest.h"

namespace sortie::manifest_internal {

/// The longest line either format accepts. A JSON line needs ~14 bytes of
/// parser memory per byte, under 1 GB at this limit.
inline constexpr size_t kMaxLineBytes = size_t{64} << 20;

/// A file's bytes followed by SIMDJSON_PADDING zero bytes, which lets
/// simdjson parse any line in place.
struct PaddedText {
  std::unique_ptr<char[]> bytes;
  size_t size = 0;

  /// Room for `n` bytes plus the zeroed padding.
  void Allocate(size_t n);
  /// Ends the text after `n` bytes, zeroing the padding after the new end.
  void Shrink(size_t n);
  std::string_view view() const { return {bytes.get(), size}; }
};

/// Reads all of the open file `fd` into `text`, or only a first part when
/// that is enough for DetectNotText to refuse it. Returns an errno value, 0
/// on success.
int ReadWholeFile(int fd, PaddedText* text);

/// `text` without a leading UTF-8 byte order mark.
std::string_view SkipByteOrderMark(std::string_view text);

/// The format of the manifest at `path`: by extension, then by the first
/// line that is not blank or a comment.
ManifestFormat DetectFormat(std::string_view path, std::string_view text);

/// Lines that may hold a task: those not starting with blank space, '#' or
/// a line end. Cheap (one memchr per line); used only to size containers,
/// so a file of blank lines reserves nothing.
size_t CountLikelyTasks(std::string_view text);

/// Why `text` is not a manifest at all: a binary file, an archive, UTF-16.
struct NotText {
  uint64_t line = 0;    ///< 1-based line to report it at
  std::string message;  ///< empty when `text` may be a manifest
};

/// Recognises compressed files, executables, HDF5 files, UTF-16 or UTF-32
/// text, and any file with NUL bytes in its first 8000 bytes (git's and
/// grep's test, but a single stray NUL is left to the line readers).
NotText DetectNotText(std::string_view text);

/// For a JSON line simdjson rejected with NUMBER_ERROR: which number is at
/// fault, where, and whether it is malformed or out of range. Empty when no
/// such number is found.
std::string DescribeNumberError(std::string_view line);

}  // namespace sortie::manifest_internal
