#include "master/journal_flusher.h"

#include <unistd.h>

#include <cerrno>
#include <utility>

#include "master/journal_format.h"

namespace sortie::journal_internal {

int WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return errno;
    if (w == 0) return EIO;  // no progress and no errno: do not spin
    p += w;
    n -= static_cast<size_t>(w);
  }
  return 0;
}

int SyncFd(int fd, bool data_only) {
  int rc;
  do {
    rc = data_only ? ::fdatasync(fd) : ::fsync(fd);
  } while (rc < 0 && errno == EINTR);
  return rc < 0 ? errno : 0;
}

JournalFlusher::JournalFlusher(int fd) : fd_(fd), thread_([this] { Loop(); }) {}

JournalFlusher::~JournalFlusher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_.notify_one();
  thread_.join();
}

void JournalFlusher::Hand(std::string* bytes, bool sync, uint64_t mark) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queued_.empty()) {
      std::swap(queued_, *bytes);  // the usual case: no copy
    } else {
      queued_ += *bytes;
    }
    bytes->clear();
    if (sync) {
      sync_queued_ = true;
      mark_queued_ = mark;
    }
  }
  work_.notify_one();
}

void JournalFlusher::Wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait(lock, [this] {
    return error_ != 0 || (!busy_ && queued_.empty() && !sync_queued_);
  });
}

uint64_t JournalFlusher::SyncedMark() const {
  return synced_mark_.load(std::memory_order_acquire);
}

int JournalFlusher::Error(const char** what) const {
  if (error_.load(std::memory_order_acquire) == 0) return 0;
  std::lock_guard<std::mutex> lock(mutex_);
  *what = error_what_;
  return error_.load(std::memory_order_relaxed);
}

void JournalFlusher::Loop() {
  std::string batch;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_.wait(lock,
               [this] { return stop_ || !queued_.empty() || sync_queued_; });
    if (error_ != 0 || (stop_ && queued_.empty())) {
      // Nothing more may be written; what is queued is dropped, and a stop
      // does not sync (the owner's Flush does that).
      queued_.clear();
      sync_queued_ = false;
      idle_.notify_all();
      if (stop_) return;
      continue;
    }
    std::swap(batch, queued_);
    const bool sync = std::exchange(sync_queued_, false);
    const uint64_t mark = mark_queued_;
    busy_ = true;
    lock.unlock();
    journal_format::SealFrames(batch.data(), batch.size());
    int err = WriteAll(fd_, batch.data(), batch.size());
    const char* what = "write failed";
    if (err == 0 && sync) {
      err = SyncFd(fd_, true);
      what = "fdatasync failed";
    }
    batch.clear();
    lock.lock();
    busy_ = false;
    if (err != 0 && error_.load(std::memory_order_relaxed) == 0) {
      error_what_ = what;
      error_.store(err, std::memory_order_release);
    }
    if (err == 0 && sync) synced_mark_.store(mark, std::memory_order_release);
    idle_.notify_all();
  }
}

}  // namespace sortie::journal_internal
