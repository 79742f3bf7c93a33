#include "common/stderr_line.h"

#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <utility>

namespace sortie {
namespace {

// A line this long without a newline is passed on anyway: a runaway
// message must not hold memory, and interleaving is then the lesser harm.
constexpr size_t kMaxPendingBytes = 64 * 1024;

// Installed into std::cerr for the process's life; on exit (static
// destruction) it hands back the original buffer, so messages from later
// destructors still reach stderr.
class StandardErrorInWholeLines {
 public:
  StandardErrorInWholeLines()
      : buffer_(WriteToStderr), original_(std::cerr.rdbuf(&buffer_)) {}
  ~StandardErrorInWholeLines() {
    std::cerr.flush();
    std::cerr.rdbuf(original_);
  }
  StandardErrorInWholeLines(const StandardErrorInWholeLines&) = delete;
  StandardErrorInWholeLines& operator=(const StandardErrorInWholeLines&) =
      delete;

 private:
  WholeLineBuffer buffer_;
  std::streambuf* original_;
};

}  // namespace

void WriteToStderr(std::string_view text) {
  while (!text.empty()) {
    const ssize_t written = write(STDERR_FILENO, text.data(), text.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;
    text.remove_prefix(static_cast<size_t>(written));
  }
}

WholeLineBuffer::WholeLineBuffer(std::function<void(std::string_view)> sink)
    : sink_(std::move(sink)) {}

WholeLineBuffer::~WholeLineBuffer() {
  if (!pending_.empty()) sink_(pending_);
}

WholeLineBuffer::int_type WholeLineBuffer::overflow(int_type ch) {
  if (traits_type::eq_int_type(ch, traits_type::eof())) return 0;
  const std::lock_guard<std::mutex> lock(mutex_);
  pending_.push_back(traits_type::to_char_type(ch));
  return ch;
}

std::streamsize WholeLineBuffer::xsputn(const char* text,
                                        std::streamsize count) {
  const std::lock_guard<std::mutex> lock(mutex_);
  pending_.append(text, static_cast<size_t>(count));
  return count;
}

int WholeLineBuffer::sync() {
  const std::lock_guard<std::mutex> lock(mutex_);
  size_t end = pending_.rfind('\n');
  end = end == std::string::npos ? 0 : end + 1;
  const bool redrawn = end < pending_.size() && pending_[end] == '\r';
  if (redrawn || pending_.size() >= kMaxPendingBytes) end = pending_.size();
  if (end == 0) return 0;
  sink_(std::string_view(pending_).substr(0, end));
  pending_.erase(0, end);
  return 0;
}

void WriteStandardErrorInWholeLines() {
  static StandardErrorInWholeLines installed;
}

}  // namespace sortie
