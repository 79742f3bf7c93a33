// A file descriptor owned by one object, closed when it goes away.
#pragma once

#include <unistd.h>

namespace sortie {

/// Owns `fd` (or nothing, when negative) so early returns and exceptions
/// cannot leak it; closes it on destruction.
class UniqueFd {
 public:
  /// Takes ownership of `fd`; a negative value owns nothing.
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  /// The descriptor, still owned by this object.
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace sortie
