#include "master/manifest_text.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <initializer_list>

#include "master/manifest_util.h"

namespace sortie::manifest_internal {
namespace {

// How far into a file a NUL byte marks it as binary (as git and grep do).
constexpr size_t kBinaryProbeBytes = 8000;
// Longest number a message shows in full.
constexpr size_t kShownNumberBytes = 40;

// File signatures that cannot begin a UTF-8 manifest, with what to say.
struct Signature {
  std::string_view magic;
  std::string_view message;
};
constexpr std::array kSignatures = {
    Signature{"\x7f"
              "ELF",
              "this is an ELF executable or library, not a manifest"},
    Signature{"\x1f\x8b",
              "this file is gzip-compressed; decompress it first (gunzip)"},
    Signature{"\xfd"
              "7zXZ",
              "this file is xz-compressed; decompress it first (unxz)"},
    Signature{"\x28\xb5\x2f\xfd",
              "this file is zstd-compressed; decompress it first (unzstd)"},
    Signature{"PK\x03\x04", "this is a zip archive, not a manifest"},
    Signature{"\x89HDF\r\n\x1a\n",
              "this is an HDF5 file (such as a run.h5), not a manifest"},
    // The UTF-32 marks first: the little-endian one begins like UTF-16's.
    Signature{std::string_view("\xff\xfe\0\0", 4),
              "the file is UTF-32 text; save it as UTF-8"},
    Signature{std::string_view("\0\0\xfe\xff", 4),
              "the file is UTF-32 text; save it as UTF-8"},
    Signature{"\xff\xfe", "the file is UTF-16 text; save it as UTF-8"},
    Signature{"\xfe\xff", "the file is UTF-16 text; save it as UTF-8"},
};

bool IsBzip2(std::string_view text) {
  return text.size() >= 10 && text.substr(0, 3) == "BZh" && text[3] >= '1' &&
         text[3] <= '9' && text.substr(4, 6) == "1AY&SY";
}

bool HasExtension(std::string_view path,
                  std::initializer_list<std::string_view> extensions) {
  std::string name = std::filesystem::path(path).filename().string();
  size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) return false;
  std::string ext = name.substr(dot + 1);
  for (char& c : ext) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return std::find(extensions.begin(), extensions.end(), ext) !=
         extensions.end();
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Whether `token` follows the JSON number grammar; sets `*integer` when it
// has no fraction or exponent.
bool IsJsonNumber(std::string_view token, bool* integer) {
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < token.size() && IsDigit(token[i])) ++i;
    return i > start;
  };
  if (i < token.size() && token[i] == '-') ++i;
  if (i < token.size() && token[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  *integer = i == token.size();
  if (i < token.size() && token[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < token.size() && (token[i] == 'e' || token[i] == 'E')) {
    ++i;
    if (i < token.size() && (token[i] == '+' || token[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == token.size();
}

// Whether the integer `token` (JSON grammar) fits simdjson's 64-bit range:
// -2^63 to 2^64 - 1.
bool IntegerFits(std::string_view token) {
  const bool negative = token[0] == '-';
  std::string_view magnitude = token.substr(negative ? 1 : 0);
  const std::string_view limit =
      negative ? "9223372036854775808" : "18446744073709551615";
  if (magnitude.size() != limit.size()) return magnitude.size() < limit.size();
  return magnitude <= limit;
}

bool DoubleFits(std::string_view token) {
  const std::string copy(token);
  errno = 0;
  const double value = std::strtod(copy.c_str(), nullptr);
  return !(errno == ERANGE && std::isinf(value));
}

std::string ShownNumber(std::string_view token) {
  if (token.size() <= kShownNumberBytes) return std::string(token);
  return std::string(token.substr(0, kShownNumberBytes)) + "... (" +
         std::to_string(token.size()) + " characters)";
}

// The message for one number token at byte `offset` of its line, or "" when
// simdjson should have accepted it.
std::string CheckNumber(std::string_view token, size_t offset) {
  const std::string where = " at column " + std::to_string(offset + 1);
  bool integer = false;
  if (!IsJsonNumber(token, &integer)) {
    return "the number " + Quote(token) + where +
           " is malformed (JSON numbers look like 12, -3, 0.5 or 1e6)";
  }
  if (integer && !IntegerFits(token)) {
    return "the integer " + ShownNumber(token) + where +
           " is out of range (integers must be from -9223372036854775808 to "
           "18446744073709551615)";
  }
  if (!integer && !DoubleFits(token)) {
    return "the number " + ShownNumber(token) + where +
           " is out of range (the largest is about 1.8e308)";
  }
  return {};
}

bool EndsToken(char c) {
  return IsSpace(c) ||
         std::string_view(",:[]{}\"").find(c) != std::string_view::npos;
}

}  // namespace

void PaddedText::Allocate(size_t n) {
  bytes.reset(new char[n + simdjson::SIMDJSON_PADDING]);
  size = n;
  std::memset(bytes.get() + n, 0, simdjson::SIMDJSON_PADDING);
}

void PaddedText::Shrink(size_t n) {
  size = n;
  std::memset(bytes.get() + n, 0, simdjson::SIMDJSON_PADDING);
}

// A regular file's size is only a hint (it may grow, and /proc files report
// 0), so every file is read to its end.
int ReadWholeFile(int fd, PaddedText* text) {
  struct stat st;
  if (fstat(fd, &st) != 0) return errno;
  // One spare byte lets the read that sees the end of a regular file
  // happen without growing the buffer.
  text->Allocate(S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) + 1
                                     : size_t{1} << 16);
  size_t used = 0;
  bool probed = false;
  for (;;) {
    // Stop early on a file that is not text, so /dev/zero or a huge binary
    // is not read whole only to be refused; the caller refuses the prefix.
    if (!probed && used >= kBinaryProbeBytes) {
      probed = true;
      if (!DetectNotText({text->bytes.get(), used}).message.empty()) break;
    }
    if (used == text->size) {
      PaddedText bigger;
      bigger.Allocate(text->size * 2);
      std::memcpy(bigger.bytes.get(), text->bytes.get(), used);
      *text = std::move(bigger);
    }
    ssize_t got = read(fd, text->bytes.get() + used, text->size - used);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return errno;
    if (got == 0) break;
    used += static_cast<size_t>(got);
  }
  text->Shrink(used);
  return 0;
}

std::string_view SkipByteOrderMark(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  return text;
}

ManifestFormat DetectFormat(std::string_view path, std::string_view text) {
  if (HasExtension(path, {"jsonl", "ndjson", "json"})) {
    return ManifestFormat::kJsonLines;
  }
  if (HasExtension(path, {"txt", "sh", "list", "lst"})) {
    return ManifestFormat::kPlain;
  }
  text = SkipByteOrderMark(text);
  while (!text.empty()) {
    size_t newline = text.find('\n');
    std::string_view line = Trim(text.substr(0, newline));
    if (!line.empty() && line[0] != '#') {
      return line[0] == '{' ? ManifestFormat::kJsonLines
                            : ManifestFormat::kPlain;
    }
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
  return ManifestFormat::kPlain;
}

size_t CountLikelyTasks(std::string_view text) {
  auto likely = [](char c) { return !IsSpace(c) && c != '\n' && c != '#'; };
  size_t count = !text.empty() && likely(text[0]) ? 1 : 0;
  const char* p = text.data();
  const char* end = p + text.size();
  while ((p = static_cast<const char*>(
              std::memchr(p, '\n', static_cast<size_t>(end - p)))) != nullptr) {
    if (++p < end && likely(*p)) ++count;
  }
  return count;
}

NotText DetectNotText(std::string_view text) {
  for (const Signature& signature : kSignatures) {
    if (text.starts_with(signature.magic)) {
      return {1, std::string(signature.message)};
    }
  }
  if (IsBzip2(text)) {
    return {1, "this file is bzip2-compressed; decompress it first (bunzip2)"};
  }
  // One stray NUL in a text file is reported with its line like any other
  // bad byte; two or more mean the file is not text.
  const std::string_view probe = text.substr(0, kBinaryProbeBytes);
  const size_t nul = probe.find('\0');
  if (nul == std::string_view::npos ||
      probe.find('\0', nul + 1) == std::string_view::npos) {
    return {};
  }
  const size_t line_start = probe.rfind('\n', nul);
  const size_t column =
      line_start == std::string_view::npos ? nul + 1 : nul - line_start;
  const auto line = static_cast<uint64_t>(
      1 + std::count(probe.begin(),
                     probe.begin() + static_cast<std::ptrdiff_t>(nul), '\n'));
  return {line, "a NUL byte at column " + std::to_string(column) +
                    ": this looks like a binary file (or UTF-16 text), not a "
                    "manifest"};
}

std::string DescribeNumberError(std::string_view line) {
  bool in_string = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    if (c != '-' && !IsDigit(c)) continue;
    size_t end = i;
    while (end < line.size() && !EndsToken(line[end])) ++end;
    std::string message = CheckNumber(line.substr(i, end - i), i);
    if (!message.empty()) return message;
    i = end - 1;
  }
  return {};
}

}  // namespace sortie::manifest_internal
