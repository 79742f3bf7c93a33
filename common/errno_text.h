// The text of an errno value, for messages that name a file and what failed.
#pragma once

#include <string>
#include <system_error>

namespace sortie {

/// strerror's text for `err` ("No such file or directory"), thread-safe
/// (std::strerror may share one buffer between threads).
inline std::string ErrnoText(int err) {
  return std::generic_category().message(err);
}

}  // namespace sortie
