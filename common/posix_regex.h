// A POSIX extended regular expression (glibc regcomp/regexec) owned RAII
// style. Used for the manifest's `results` patterns instead of std::regex,
// whose libstdc++ matcher recurses once per input character (a `(.*)` over
// a 64 KiB line overflows the stack) and backtracks exponentially on
// patterns like `(a*)*b`: a user's pattern must never crash or hang the
// worker that matches it.
#pragma once

#include <regex.h>

#include <memory>
#include <string>
#include <string_view>

namespace sortie {

/// One compiled POSIX ERE pattern.
class PosixRegex {
 public:
  /// Compiles `pattern` (REG_EXTENDED); returns null and sets `*error` to
  /// regerror's text when it does not compile.
  static std::unique_ptr<PosixRegex> Compile(const std::string& pattern,
                                             std::string* error);
  ~PosixRegex() { regfree(&regex_); }
  PosixRegex(const PosixRegex&) = delete;
  PosixRegex& operator=(const PosixRegex&) = delete;

  /// Number of capture groups, `(...)`.
  size_t groups() const { return regex_.re_nsub; }

  /// The text of group 1 in the last match within `line` (matches do not
  /// overlap, as in a left-to-right scan); false when nothing matches or
  /// group 1 took no part. The search is bounded by `line`'s size
  /// (REG_STARTEND), so `line` need not end in a NUL.
  bool LastCapture(std::string_view line, std::string_view* capture) const;

 private:
  PosixRegex() = default;
  regex_t regex_{};
};

}  // namespace sortie
