#include "master/journal_tail.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <string_view>

#include "common/crc32c.h"
#include "common/errno_text.h"
#include "common/unique_fd.h"
#include "master/journal.h"
#include "master/journal_flusher.h"
#include "master/journal_format.h"

namespace sortie {
namespace {

namespace fmt = journal_format;

// The bytes of `fd` from `offset` to `size`; false with errno on failure.
bool ReadFrom(int fd, uint64_t offset, uint64_t size, std::string* bytes) {
  bytes->resize(static_cast<size_t>(size - offset));
  size_t done = 0;
  while (done < bytes->size()) {
    const ssize_t n = ::pread(fd, bytes->data() + done, bytes->size() - done,
                              static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;  // shrank while read: nothing to trust
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

// Size of the good frame at `pos` of `bytes`, or 0 when none starts there.
// The cheap checks come first: most offsets fail on the length alone.
uint64_t GoodFrameAt(std::string_view bytes, size_t pos,
                     JournalRecord* record) {
  if (bytes.size() - pos < fmt::kFrameHeaderSize) return 0;
  const uint32_t length = fmt::Load<uint32_t>(bytes.data() + pos);
  if (length == 0 || length > fmt::kMaxPayloadSize ||
      bytes.size() - pos - fmt::kFrameHeaderSize < length) {
    return 0;
  }
  const std::string_view payload =
      bytes.substr(pos + fmt::kFrameHeaderSize, length);
  if (!fmt::DecodePayload(payload, record)) return 0;
  const uint32_t crc =
      fmt::UnmaskCrc(fmt::Load<uint32_t>(bytes.data() + pos + 4));
  if (Crc32c(payload.data(), payload.size()) != crc) return 0;
  return fmt::kFrameHeaderSize + uint64_t{length};
}

// Counts the good frames of `tail` (which starts at file offset `stop` with
// the bad frame) into `out`.
void CountGoodFrames(std::string_view tail, uint64_t stop, JournalTail* out) {
  JournalRecord record;
  size_t pos = 1;  // the frame at 0 is the one replay rejected
  while (pos < tail.size()) {
    const uint64_t size = GoodFrameAt(tail, pos, &record);
    if (size == 0) {
      ++pos;
      continue;
    }
    if (out->records_after == 0) out->first_after = stop + pos;
    ++out->records_after;
    if (record.type == JournalRecordType::kTaskEnded &&
        record.state == TaskState::kDone) {
      ++out->done_after;
    }
    pos += static_cast<size_t>(size);
  }
}

std::string CopyName(const std::string& path, int attempt) {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  char stamp[32] = "unknown-time";
  if (localtime_r(&now, &local) != nullptr) {
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local);
  }
  std::string name = path + ".damaged-" + stamp;
  if (attempt > 1) name += "-" + std::to_string(attempt);
  return name;
}

// Creates a file under a new name: the copy never replaces an earlier one.
int CreateCopy(const std::string& path, std::string* name) {
  for (int attempt = 1; attempt < 100; ++attempt) {
    *name = CopyName(path, attempt);
    const int fd =
        ::open(name->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  errno = EEXIST;
  return -1;
}

}  // namespace

JournalTail ExamineJournalTail(const std::string& path, uint64_t stop) {
  JournalTail out;
  out.stop = stop;
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0) {
    out.error = path + ": cannot open: " + ErrnoText(errno);
    return out;
  }
  out.file_size = static_cast<uint64_t>(st.st_size);
  if (out.file_size <= stop) return out;
  std::string tail;
  if (!ReadFrom(fd.get(), stop, out.file_size, &tail)) {
    out.error = path + ": read failed: " + ErrnoText(errno);
    return out;
  }
  CountGoodFrames(tail, stop, &out);
  return out;
}

std::string KeepDamagedCopy(const std::string& path, std::string* error) {
  const UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (in.get() < 0 || ::fstat(in.get(), &st) != 0) {
    *error = path + ": cannot open: " + ErrnoText(errno);
    return "";
  }
  std::string bytes;
  if (!ReadFrom(in.get(), 0, static_cast<uint64_t>(st.st_size), &bytes)) {
    *error = path + ": read failed: " + ErrnoText(errno);
    return "";
  }
  std::string name;
  const UniqueFd out(CreateCopy(path, &name));
  if (out.get() < 0) {
    *error = name + ": cannot create: " + ErrnoText(errno);
    return "";
  }
  int err = journal_internal::WriteAll(out.get(), bytes.data(), bytes.size());
  if (err == 0) err = journal_internal::SyncFd(out.get(), false);
  if (err != 0) {
    *error = name + ": cannot write: " + ErrnoText(err);
    return "";
  }
  return name;
}

}  // namespace sortie
