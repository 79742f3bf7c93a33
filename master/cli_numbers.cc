#include "master/cli_numbers.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "master/walltime.h"

namespace sortie {
namespace {

// The whole of `text` as a base-10 integer; false for anything else
// (empty, spaces, a fraction, out of long long's range).
bool ParseWhole(const std::string& text, long long* value) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) {
    return false;
  }
  char* end = nullptr;
  errno = 0;
  *value = std::strtoll(text.c_str(), &end, 10);
  return errno == 0 && end == text.c_str() + text.size();
}

// The whole of `text` as a finite number; false for anything else.
bool ParseFinite(const std::string& text, double* value) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) {
    return false;
  }
  char* end = nullptr;
  *value = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(*value);
}

}  // namespace

CLI::Validator WholeNumberAtLeast(int32_t min) {
  const std::string bound = ">= " + std::to_string(min);
  return CLI::Validator(
      [min, bound](std::string& text) -> std::string {
        constexpr long long kMax = std::numeric_limits<int32_t>::max();
        long long value = 0;
        if (!ParseWhole(text, &value) || value < min) {
          return "must be a whole number " + bound + " (got " + text + ")";
        }
        if (value > kMax) {
          return "must be at most " + std::to_string(kMax) + " (got " + text +
                 ")";
        }
        return "";
      },
      bound);
}

CLI::Validator Seconds(bool above_zero) {
  const std::string bound = above_zero ? "> 0" : ">= 0";
  return CLI::Validator(
      [above_zero, bound](std::string& text) -> std::string {
        double value = 0;
        if (!ParseFinite(text, &value) || value < 0 ||
            (above_zero && value == 0)) {
          return "must be a number of seconds " + bound + " (got " + text + ")";
        }
        return "";
      },
      "seconds " + bound);
}

CLI::Validator Duration() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (ParseDuration(text)) return "";
        return "must be a duration HH:MM:SS (or D-HH:MM:SS, MM:SS, SECONDS; "
               "got " +
               text + ")";
      },
      "HH:MM:SS");
}

}  // namespace sortie
