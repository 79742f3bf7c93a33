#include "common/posix_regex.h"

#include <string>

namespace sortie {

std::unique_ptr<PosixRegex> PosixRegex::Compile(const std::string& pattern,
                                                std::string* error) {
  regex_t regex;
  int code = regcomp(&regex, pattern.c_str(), REG_EXTENDED);
  if (code != 0) {
    // regcomp frees what it allocated when it fails: no regfree.
    char text[256];
    regerror(code, &regex, text, sizeof text);
    *error = text;
    return nullptr;
  }
  std::unique_ptr<PosixRegex> compiled(new PosixRegex);
  compiled->regex_ = regex;  // the object now owns it and frees it
  return compiled;
}

bool PosixRegex::LastCapture(std::string_view line,
                             std::string_view* capture) const {
  // REG_STARTEND bounds the search by pmatch[0] instead of a NUL, so the
  // line is searched where it lies.
  bool found = false;
  size_t from = 0;
  // The empty rest of a line is searched only when the line is empty, so
  // `(.*)` captures the whole line rather than the "" after it.
  while (from < line.size() || from == 0) {
    regmatch_t match[2];
    match[0].rm_so = static_cast<regoff_t>(from);
    match[0].rm_eo = static_cast<regoff_t>(line.size());
    int flags = REG_STARTEND | (from > 0 ? REG_NOTBOL : 0);
    if (regexec(&regex_, line.data(), 2, match, flags) != 0) break;
    if (match[1].rm_so >= 0) {
      *capture =
          line.substr(static_cast<size_t>(match[1].rm_so),
                      static_cast<size_t>(match[1].rm_eo - match[1].rm_so));
      found = true;
    }
    // An empty match must still move on.
    size_t end = static_cast<size_t>(match[0].rm_eo);
    from = end > from ? end : from + 1;
  }
  return found;
}

}  // namespace sortie
