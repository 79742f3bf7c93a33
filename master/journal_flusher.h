// The journal's disk side: blocks of encoded records written and
// fdatasynced on a thread of its own, so the master's loop never waits for
// write(2) or the disk (see docs/journal.md, "When records are durable").
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace sortie::journal_internal {

/// Returns 0 or the errno of the failed write; retries EINTR and short
/// writes.
int WriteAll(int fd, const char* p, size_t n);
/// fdatasync (or fsync) retrying EINTR; returns 0 or the errno.
int SyncFd(int fd, bool data_only);

/// Writes handed-over journal frames to `fd` in order, on its own thread,
/// after filling in their CRCs (journal_format::SealFrames), and fdatasyncs
/// when a hand-over asks for it. After the first failed write or
/// sync it writes nothing more (what reached the disk is then unknown) and
/// reports that failure from then on.
class JournalFlusher {
 public:
  /// Starts the thread; `fd` stays owned by the caller and open until the
  /// flusher is destroyed.
  explicit JournalFlusher(int fd);
  /// Writes what was handed over (without a sync), then stops the thread.
  ~JournalFlusher();
  JournalFlusher(const JournalFlusher&) = delete;
  JournalFlusher& operator=(const JournalFlusher&) = delete;

  /// Takes the bytes of `*bytes`, whole unsealed frames (leaving it empty,
  /// capacity kept when it can), to write after everything handed over
  /// before. With `sync`, the
  /// file is fdatasynced after them and SyncedMark() becomes `mark`.
  void Hand(std::string* bytes, bool sync, uint64_t mark);
  /// Blocks until everything handed over is written and every sync asked
  /// for is done, or something failed.
  void Wait();
  /// The `mark` of the latest sync that completed (0 before any).
  uint64_t SyncedMark() const;
  /// 0, or the errno of the first failure; `*what` then names the call.
  /// Takes no lock while nothing failed: the journal asks at every append.
  int Error(const char** what) const;

 private:
  void Loop();

  const int fd_;
  mutable std::mutex mutex_;
  std::condition_variable work_;  // signalled on a hand-over or stop
  std::condition_variable idle_;  // signalled when a batch is done
  std::string queued_;            // handed over, not yet taken by Loop
  bool sync_queued_ = false;
  uint64_t mark_queued_ = 0;
  bool busy_ = false;  // Loop is writing a batch outside the lock
  bool stop_ = false;
  std::atomic<uint64_t> synced_mark_{0};
  std::atomic<int> error_{0};  // set once, under mutex_, after error_what_
  const char* error_what_ = "";
  std::thread thread_;  // last: started once the rest is initialised
};

}  // namespace sortie::journal_internal
