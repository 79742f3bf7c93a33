// One run at a time per RUN.h5: rank 0 holds an exclusive flock on the
// run's journal for as long as the run lasts, taken before the journal or
// RUN.h5 is read, cut, replaced or created. A second `sortie run` with the
// same --out finds it locked and is refused. `status` and `report` only read
// and take no lock. docs/resilience.md says why the journal and not a lock
// file beside it.
#pragma once

#include <string>

namespace sortie {

/// The exclusive, non-blocking flock on a run's journal. Released when the
/// object is destroyed (or the process ends, however it ends).
class RunLock {
 public:
  /// What taking the lock found.
  enum class Outcome {
    kHeld,         ///< this process holds it
    kInUse,        ///< another process holds it: another run is going
    kUnsupported,  ///< the file system has no flock (ENOLCK, ENOSYS,
                   ///< EOPNOTSUPP): nothing is locked
  };

  /// flock(2) or a stand-in for tests.
  using FlockFunction = int (*)(int fd, int operation);

  /// Opens the journal at `journal_path` (creating it empty when missing;
  /// its directory must exist) and tries to lock it without waiting. Never
  /// truncates or writes it. Throws std::runtime_error naming the path when
  /// the file cannot be opened or locked for another reason.
  static RunLock Take(const std::string& journal_path,
                      FlockFunction flock_function = nullptr);

  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&&) = delete;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  /// Releases the lock (closes the file).
  ~RunLock();

  /// Whether the lock is held, held elsewhere, or cannot be had here.
  Outcome outcome() const { return outcome_; }
  /// The errno text when outcome() is kUnsupported.
  const std::string& why_unsupported() const { return why_unsupported_; }
  /// True when the journal did not exist and Take created it (empty): for
  /// deciding what an earlier run left, the journal is then absent.
  bool created() const { return created_; }
  /// For a run refused after Take: removes the journal Take created, if it
  /// is still the empty file it made, so a refused run leaves nothing
  /// behind. Keeps the lock until destruction. Returns why it could not
  /// (naming nothing; the caller names the path), or "".
  std::string RemoveWhatTakeCreated();
  /// The journal's path.
  const std::string& path() const { return path_; }

 private:
  RunLock(std::string path, int fd, Outcome outcome, bool created);

  std::string path_;
  int fd_ = -1;
  Outcome outcome_ = Outcome::kInUse;
  bool created_ = false;
  std::string why_unsupported_;
};

}  // namespace sortie
