// Messages to the pilot's stderr that stay whole: every rank's stderr goes
// through the launcher into one stream, where a message written in pieces
// (one per `std::cerr <<`) can be cut by another rank's.
#pragma once

#include <functional>
#include <mutex>
#include <streambuf>
#include <string>
#include <string_view>

namespace sortie {

/// Writes `text` (whole lines, built by the caller) to stderr with a single
/// write(2), retrying only an interrupted or short one. Best effort: with
/// stderr gone there is nowhere left to report the failure.
void WriteToStderr(std::string_view text);

/// A stream buffer that passes its text on in whole lines: on each flush,
/// everything up to the last newline goes to `sink` in one call, and a
/// partial line waits for its newline. A partial line that starts with a
/// carriage return (a status line redrawn in place) goes at once. Safe to
/// use from several threads, but pieces of one line written by two threads
/// at once may mix: a thread should build its line and write it with one <<.
class WholeLineBuffer : public std::streambuf {
 public:
  /// `sink` receives the text; it is called under the buffer's lock.
  explicit WholeLineBuffer(std::function<void(std::string_view)> sink);
  /// Passes on whatever is left, newline or not.
  ~WholeLineBuffer() override;

 protected:
  int_type overflow(int_type ch) override;
  std::streamsize xsputn(const char* text, std::streamsize count) override;
  int sync() override;

 private:
  std::mutex mutex_;
  std::string pending_;
  std::function<void(std::string_view)> sink_;
};

/// Makes std::cerr write whole lines with one write(2) each flush (see
/// WholeLineBuffer), for the rest of the process. Call once, early in main.
void WriteStandardErrorInWholeLines();

}  // namespace sortie
