#include "master/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <utility>

#include "common/errno_text.h"

namespace sortie {
namespace {

// Each retry follows a refused run removing the empty journal it had made
// between our open and our lock; a handful can only mean something odd.
constexpr int kAttempts = 16;

[[noreturn]] void Throw(const std::string& path, const std::string& what,
                        int err) {
  throw std::runtime_error("journal " + path + ": " + what + ": " +
                           ErrnoText(err));
}

// File systems without flock (some Lustre and NFS mounts) say so with one
// of these; EOPNOTSUPP and ENOTSUP are the same value on Linux.
bool FlockUnsupported(int err) {
  return err == ENOLCK || err == ENOSYS || err == EOPNOTSUPP || err == ENOTSUP;
}

// True when `fd` is still the file at `path`: the lock must be on the file
// a later run will open, not on one removed meanwhile.
bool StillAt(int fd, const std::string& path) {
  struct stat held {};
  struct stat there {};
  if (::fstat(fd, &held) != 0 || ::stat(path.c_str(), &there) != 0) {
    return false;
  }
  return held.st_dev == there.st_dev && held.st_ino == there.st_ino;
}

// Opens the journal, creating it when missing. -1 when another process
// created it between the two opens (the caller tries again).
int OpenOrCreate(const std::string& path, bool* created) {
  *created = false;
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd >= 0 || errno != ENOENT) {
    if (fd < 0) Throw(path, "cannot open it to lock it", errno);
    return fd;
  }
  fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST) return -1;
  if (fd < 0) Throw(path, "cannot create it to lock it", errno);
  *created = true;
  return fd;
}

int LockNow(RunLock::FlockFunction flock_function, int fd) {
  int rc;
  do {
    rc = flock_function(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  return rc == 0 ? 0 : errno;
}

}  // namespace

RunLock::RunLock(std::string path, int fd, Outcome outcome, bool created)
    : path_(std::move(path)), fd_(fd), outcome_(outcome), created_(created) {}

RunLock::RunLock(RunLock&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::exchange(other.fd_, -1)),
      outcome_(other.outcome_),
      created_(other.created_),
      why_unsupported_(std::move(other.why_unsupported_)) {}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

RunLock RunLock::Take(const std::string& journal_path,
                      FlockFunction flock_function) {
  if (flock_function == nullptr) flock_function = ::flock;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    bool created = false;
    const int fd = OpenOrCreate(journal_path, &created);
    if (fd < 0) continue;
    const int err = LockNow(flock_function, fd);
    if (err == EWOULDBLOCK) {
      ::close(fd);
      return RunLock(journal_path, -1, Outcome::kInUse, false);
    }
    if (FlockUnsupported(err)) {
      RunLock lock(journal_path, fd, Outcome::kUnsupported, created);
      lock.why_unsupported_ = ErrnoText(err);
      return lock;
    }
    if (err != 0) {
      ::close(fd);
      Throw(journal_path, "cannot lock it", err);
    }
    if (StillAt(fd, journal_path)) {
      return RunLock(journal_path, fd, Outcome::kHeld, created);
    }
    ::close(fd);  // removed by a refused run after our open: try again
  }
  throw std::runtime_error("journal " + journal_path +
                           ": cannot lock it: it keeps being replaced");
}

std::string RunLock::RemoveWhatTakeCreated() {
  if (!created_ || fd_ < 0) return "";
  struct stat held {};
  if (::fstat(fd_, &held) != 0) return "cannot stat it: " + ErrnoText(errno);
  // Written to since: it is a journal now, not the placeholder for the lock.
  if (held.st_size != 0 || !StillAt(fd_, path_)) return "";
  if (::unlink(path_.c_str()) != 0) {
    return "cannot remove it: " + ErrnoText(errno);
  }
  created_ = false;
  return "";
}

}  // namespace sortie
