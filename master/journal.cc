// Journal file I/O: the buffered, fdatasync'ed writer, block-reading replay
// and truncation. The byte layout and codec are in master/journal_format.h;
// the durability contract is in docs/journal.md.
#include "master/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

#include "common/crc32c.h"
#include "common/errno_text.h"
#include "common/unique_fd.h"
#include "master/journal_format.h"

namespace sortie {
namespace {

namespace fmt = journal_format;
using journal_internal::JournalFlusher;
using journal_internal::SyncFd;
using journal_internal::WriteAll;

// Big enough that a million small records cost ~35 writes, small enough that
// the unsynced window stays modest.
constexpr size_t kWriteThreshold = size_t{1} << 20;
constexpr size_t kReadBlock = size_t{1} << 20;

// ---- File helpers -----------------------------------------------------------

// A new file is only reachable after a crash once its directory entry is on
// disk, which fdatasync on the file does not promise.
int SyncDirectoryOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return errno;
  const int err = SyncFd(fd.get(), false);
  return err == EINVAL ? 0 : err;  // EINVAL: this filesystem cannot sync dirs
}

}  // namespace

bool JournalRecord::operator==(const JournalRecord& other) const = default;

std::string EncodeJournalRecord(const JournalRecord& record) {
  std::string frame;
  fmt::AppendFrame(record, &frame);
  return frame;
}

std::string JournalPathFor(const std::string& run_h5_path) {
  return run_h5_path + ".journal";
}

// ---- JournalWriter ----------------------------------------------------------

JournalWriter::JournalWriter(const std::string& path)
    : JournalWriter(path, Mode::kCreate) {}

std::unique_ptr<JournalWriter> JournalWriter::OpenForAppend(
    const std::string& path) {
  return std::unique_ptr<JournalWriter>(new JournalWriter(path, Mode::kAppend));
}

JournalWriter::JournalWriter(const std::string& path, Mode mode) : path_(path) {
  buffer_.reserve(kWriteThreshold + 4096);
  try {
    if (mode == Mode::kCreate) {
      Create();
    } else {
      Reopen();
    }
  } catch (...) {
    // The destructor does not run for a throwing constructor.
    if (fd_ >= 0) ::close(fd_);
    throw;
  }
  flusher_ = std::make_unique<JournalFlusher>(fd_);
}

// Synchronous: the header is on disk, and the file findable after a crash,
// before any record is accepted.
void JournalWriter::Create() {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) Fail("cannot create", errno);
  const std::string header = fmt::EncodeHeader();
  if (const int err = WriteAll(fd_, header.data(), header.size()); err != 0) {
    Fail("write failed", err);
  }
  if (const int err = SyncFd(fd_, true); err != 0) {
    Fail("fdatasync failed", err);
  }
  if (const int err = SyncDirectoryOf(path_); err != 0) {
    Fail("cannot sync its directory", err);
  }
}

void JournalWriter::Reopen() {
  // O_APPEND: the file may be longer than we think, and new frames must
  // follow whatever TruncateJournal left.
  fd_ = ::open(path_.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) Fail("cannot open for appending", errno);
  char header[fmt::kHeaderSize];
  ssize_t n;
  do {
    n = ::pread(fd_, header, sizeof header, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) Fail("cannot read header", errno);
  if (static_cast<size_t>(n) != sizeof header) {
    throw std::runtime_error("journal " + path_ +
                             ": not a sortie journal (no full header)");
  }
  const std::string problem =
      fmt::HeaderProblem(std::string_view(header, sizeof header));
  if (!problem.empty()) {
    throw std::runtime_error("journal " + path_ + ": " + problem);
  }
  if (fmt::HeaderVersion(std::string_view(header, sizeof header)) !=
      fmt::kJournalVersion) {
    MarkCurrentVersion();
  }
}

// An older journal this build reads gets the current version before any
// record is appended: the new records may be of types its version lacks,
// which the sortie that wrote it would take for a torn tail and cut off.
// Through a descriptor of its own: with O_APPEND, Linux's pwrite appends.
void JournalWriter::MarkCurrentVersion() {
  UniqueFd fd(::open(path_.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0) Fail("cannot open to mark the format version", errno);
  std::string version;
  fmt::internal::Put(fmt::kJournalVersion, &version);
  const auto at = static_cast<off_t>(fmt::kMagic.size());
  ssize_t n;
  do {
    n = ::pwrite(fd.get(), version.data(), version.size(), at);
  } while (n < 0 && errno == EINTR);
  if (n < 0) Fail("cannot mark the format version", errno);
  if (static_cast<size_t>(n) != version.size()) {
    Fail("cannot mark the format version", EIO);
  }
  if (const int err = SyncFd(fd.get(), true); err != 0) {
    Fail("fdatasync failed", err);
  }
}

JournalWriter::~JournalWriter() {
  if (fd_ < 0) return;
  if (!broken_) {
    try {
      Flush();
    } catch (...) {
      // Best effort by contract; callers wanting to know call Flush first.
    }
  }
  flusher_.reset();  // joins the writing thread before the fd goes
  ::close(fd_);
}

void JournalWriter::Append(const JournalRecord& record) {
  CheckUsable();
  // Sealed (CRC'd) by the flusher's thread just before it writes.
  fmt::AppendUnsealedFrame(record, &buffer_);
  ++appended_;
  if (buffer_.size() >= kWriteThreshold) flusher_->Hand(&buffer_, false, 0);
}

void JournalWriter::Flush() {
  CheckUsable();
  HandForSync();
  flusher_->Wait();
  CheckUsable();
}

void JournalWriter::FlushSoon() {
  CheckUsable();
  HandForSync();
}

size_t JournalWriter::Pending() const {
  return static_cast<size_t>(appended_ - flusher_->SyncedMark());
}

void JournalWriter::HandForSync() {
  if (sync_asked_ == appended_) return;  // asked already; nothing new
  flusher_->Hand(&buffer_, true, appended_);
  sync_asked_ = appended_;
}

void JournalWriter::CheckUsable() {
  if (broken_) {
    throw std::runtime_error("journal " + path_ +
                             ": unusable after an earlier write error");
  }
  const char* what = "";
  if (const int err = flusher_->Error(&what); err != 0) Fail(what, err);
}

// A failed write may have left part of a frame on disk, and after a failed
// fsync the kernel may have dropped the dirty pages: neither can be retried.
void JournalWriter::Fail(const char* what, int err) {
  broken_ = true;
  throw std::runtime_error("journal " + path_ + ": " + what + ": " +
                           ErrnoText(err));
}

// ---- Replay -----------------------------------------------------------------

namespace {

// Reads a file front to back in large blocks and hands out contiguous views,
// so most frames are parsed in place without a read() per record.
class BlockReader {
 public:
  explicit BlockReader(int fd) : fd_(fd), buf_(kReadBlock) {}

  /// Makes `n` bytes available at Data(); false at end of file or on error.
  bool Ensure(size_t n) {
    if (end_ - begin_ >= n) return true;
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
    if (buf_.size() < n) buf_.resize(n);
    while (end_ < n) {
      const ssize_t r = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) error_ = errno;
      if (r <= 0) return false;
      end_ += static_cast<size_t>(r);
    }
    return true;
  }
  const char* Data() const { return buf_.data() + begin_; }
  size_t Available() const { return end_ - begin_; }
  void Consume(size_t n) { begin_ += n; }
  int error() const { return error_; }

 private:
  int fd_;
  std::vector<char> buf_;
  size_t begin_ = 0;
  size_t end_ = 0;
  int error_ = 0;
};

bool ReadHeader(BlockReader& in, const std::string& path, std::string* error) {
  if (!in.Ensure(fmt::kHeaderSize)) {
    if (in.error() != 0) {
      *error = path + ": read failed: " + ErrnoText(in.error());
    } else if (in.Available() == 0) {
      *error = path + ": empty file, not a sortie journal";
    } else {
      *error = path + ": not a sortie journal (only " +
               std::to_string(in.Available()) + " bytes, no full header)";
    }
    return false;
  }
  const std::string problem =
      fmt::HeaderProblem(std::string_view(in.Data(), fmt::kHeaderSize));
  if (!problem.empty()) {
    *error = path + ": " + problem;
    return false;
  }
  in.Consume(fmt::kHeaderSize);
  return true;
}

void StopAt(const char* why, ReplayResult* result) {
  result->torn_tail = true;
  result->stop_reason =
      std::string(why) + " at offset " + std::to_string(result->valid_bytes);
}

// Delivers frames until the first bad one; `file_size` lets a corrupt length
// be recognised as torn before a buffer is grown to hold it.
void ReadFrames(BlockReader& in, uint64_t file_size,
                const std::function<void(const JournalRecord&)>& visit,
                ReplayResult* result) {
  JournalRecord record;
  while (true) {
    if (!in.Ensure(fmt::kFrameHeaderSize)) {
      if (in.Available() > 0 || in.error() != 0) {
        StopAt("torn frame header", result);
      }
      break;
    }
    const uint32_t length = fmt::Load<uint32_t>(in.Data());
    const uint32_t crc = fmt::UnmaskCrc(fmt::Load<uint32_t>(in.Data() + 4));
    const uint64_t frame_size = fmt::kFrameHeaderSize + uint64_t{length};
    if (length == 0 || length > fmt::kMaxPayloadSize) {
      StopAt("bad frame length", result);
      break;
    }
    if (result->valid_bytes + frame_size > file_size ||
        !in.Ensure(static_cast<size_t>(frame_size))) {
      StopAt("torn frame", result);
      break;
    }
    const std::string_view payload(in.Data() + fmt::kFrameHeaderSize, length);
    if (Crc32c(payload.data(), payload.size()) != crc) {
      StopAt("CRC mismatch", result);
      break;
    }
    if (!fmt::DecodePayload(payload, &record)) {
      StopAt("undecodable payload", result);
      break;
    }
    if (visit) visit(record);
    in.Consume(static_cast<size_t>(frame_size));
    result->valid_bytes += frame_size;
    ++result->records;
  }
  if (in.error() != 0) result->error = "read failed: " + ErrnoText(in.error());
}

}  // namespace

bool JournalHoldsNoRecords(const std::string& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (error) return false;
  if (size == 0) return true;
  const ReplayResult replay = ReplayJournal(path, {});
  return replay.error.empty() && replay.records == 0;
}

ReplayResult ReplayJournal(
    const std::string& path,
    const std::function<void(const JournalRecord&)>& visit) {
  ReplayResult result;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0) {
    result.error = path + ": cannot open: " + ErrnoText(errno);
    return result;
  }
  if (!S_ISREG(st.st_mode)) {
    result.error = path + ": not a regular file";
    return result;
  }
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  BlockReader in(fd.get());
  if (!ReadHeader(in, path, &result.error)) return result;
  result.valid_bytes = fmt::kHeaderSize;
  ReadFrames(in, static_cast<uint64_t>(st.st_size), visit, &result);
  if (!result.error.empty()) result.error = path + ": " + result.error;
  return result;
}

bool TruncateJournal(const std::string& path, uint64_t valid_bytes,
                     std::string* error) {
  const auto fail = [&](const std::string& why) {
    if (error != nullptr) *error = "journal " + path + ": " + why;
    return false;
  };
  if (valid_bytes < fmt::kHeaderSize) {
    return fail("refusing to truncate into the header");
  }
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  struct stat st {};
  if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0) {
    return fail("cannot open: " + ErrnoText(errno));
  }
  if (valid_bytes > static_cast<uint64_t>(st.st_size)) {
    return fail("refusing to grow the file to " + std::to_string(valid_bytes) +
                " bytes");
  }
  if (::ftruncate(fd.get(), static_cast<off_t>(valid_bytes)) != 0) {
    return fail("ftruncate failed: " + ErrnoText(errno));
  }
  // fsync, not fdatasync: the new size is the whole point.
  if (const int err = SyncFd(fd.get(), false); err != 0) {
    return fail("fsync failed: " + ErrnoText(err));
  }
  return true;
}

}  // namespace sortie
