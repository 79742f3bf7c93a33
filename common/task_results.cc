#include "common/task_results.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>

namespace sortie {
namespace {

bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view TrimBlanks(std::string_view text) {
  while (!text.empty() && IsBlank(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsBlank(text.back())) text.remove_suffix(1);
  return text;
}

bool HasControlChar(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
}

// The first (or, `from_end`, the last) `length` bytes of the file at `path`,
// fewer when it is shorter; "" when it cannot be read. `size` gets the
// file's size, so a caller can tell that it was cut.
std::string ReadRange(const std::string& path, bool from_end, size_t length,
                      size_t* size) {
  *size = 0;
  // O_NONBLOCK: a task may have left a FIFO there, which must not hang us
  // (lseek then fails and nothing is read).
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return {};
  std::string bytes;
  off_t end = lseek(fd, 0, SEEK_END);
  if (end > 0) {
    *size = static_cast<size_t>(end);
    size_t count = std::min(*size, length);
    off_t offset = from_end ? end - static_cast<off_t>(count) : 0;
    bytes.resize(count);
    ssize_t got = pread(fd, bytes.data(), count, offset);
    bytes.resize(got > 0 ? static_cast<size_t>(got) : 0);
  }
  close(fd);
  return bytes;
}

// Calls visit(line, number) for each line of `text` ('\n'-separated, the
// last one possibly unterminated).
template <class Visit>
void ForEachLine(std::string_view text, Visit visit) {
  size_t number = 0;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    visit(line, ++number);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

// Why a result line is ignored, or "" when `key`/`value` are kept.
std::string LineProblem(std::string_view key, std::string_view value) {
  if (key.empty()) return "empty key";
  if (key.size() > kResultKeyMaxBytes) {
    return "key longer than " + std::to_string(kResultKeyMaxBytes) + " bytes";
  }
  if (HasControlChar(key)) return "key contains a control character";
  if (value.size() > kResultTextMaxBytes) {
    return "value longer than " + std::to_string(kResultTextMaxBytes) +
           " bytes";
  }
  return {};
}

// Stores key -> text unless the map is full of other keys.
void Store(std::string_view key, std::string_view text, ResultMap* results,
           std::vector<std::string>* warnings) {
  std::string name(key);
  auto it = results->find(name);
  if (it == results->end() && results->size() >= kMaxResultsPerTask) {
    warnings->push_back("more than " + std::to_string(kMaxResultsPerTask) +
                        " keys: \"" + name + "\" ignored");
    return;
  }
  ResultValue& value = (*results)[name];
  value.key = std::move(name);
  value.text.assign(text);
  value.value = ResultNumber(text);
}

}  // namespace

double ResultNumber(std::string_view text) {
  std::string trimmed(TrimBlanks(text));
  if (trimmed.empty()) return kNoTime;
  char* end = nullptr;
  errno = 0;
  double number = std::strtod(trimmed.c_str(), &end);
  // ERANGE with a denormal is still the number written; overflow is not.
  bool overflow = errno == ERANGE && std::isinf(number);
  if (end != trimmed.c_str() + trimmed.size() || overflow) return kNoTime;
  return number;
}

void ParseResultLines(std::string_view text, ResultMap* results,
                      std::vector<std::string>* warnings) {
  ForEachLine(text, [&](std::string_view raw, size_t number) {
    std::string_view line = TrimBlanks(raw);
    if (line.empty() || line.front() == '#') return;
    size_t equals = line.find('=');
    std::string problem = "no '='";
    std::string_view key, value;
    if (equals != std::string_view::npos) {
      key = TrimBlanks(line.substr(0, equals));
      value = TrimBlanks(line.substr(equals + 1));
      problem = LineProblem(key, value);
    }
    if (!problem.empty()) {
      warnings->push_back("line " + std::to_string(number) + ": " + problem +
                          " (ignored)");
      return;
    }
    Store(key, value, results, warnings);
  });
}

std::string CheckResultPattern(const std::string& pattern) {
  for (size_t i = 0; i + 1 < pattern.size(); ++i) {
    if (pattern[i] != '\\') continue;
    char next = pattern[++i];
    if (next == 'd' || next == 'D') {
      return std::string("uses \\") + next +
             ", which POSIX regular expressions do not have: write " +
             (next == 'd' ? "[0-9]" : "[^0-9]");
    }
  }
  std::string error;
  std::unique_ptr<PosixRegex> compiled = PosixRegex::Compile(pattern, &error);
  if (!compiled) {
    return "is not a valid POSIX extended regular expression: " + error;
  }
  if (compiled->groups() != 1) {
    return "needs exactly one capture group (...); it has " +
           std::to_string(compiled->groups());
  }
  return {};
}

const PosixRegex* ResultCollector::Compiled(
    const std::string& pattern, std::vector<std::string>* warnings) {
  auto it = cache_.find(pattern);
  if (it != cache_.end()) return it->second.get();
  // The manifest checked it; a failure here means a different regex library.
  std::string problem = CheckResultPattern(pattern);
  if (!problem.empty()) {
    warnings->push_back("pattern \"" + pattern + "\" " + problem);
    return nullptr;
  }
  std::string error;
  auto& slot = cache_[pattern];
  slot = PosixRegex::Compile(pattern, &error);
  return slot.get();
}

void ResultCollector::Match(
    const std::vector<std::pair<std::string, std::string>>& patterns,
    std::string_view output, ResultMap* results,
    std::vector<std::string>* warnings) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point give_up =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(kResultMatchSeconds));
  for (const auto& [key, pattern] : patterns) {
    const PosixRegex* regex = Compiled(pattern, warnings);
    if (regex == nullptr) continue;
    std::string_view found;
    bool matched = false;
    bool late = false;
    ForEachLine(output, [&](std::string_view line, size_t) {
      if (late || line.size() > kResultLineMaxBytes) return;
      late = Clock::now() > give_up;
      if (!late) matched |= regex->LastCapture(line, &found);
    });
    if (late) {
      warnings->push_back(
          "pattern \"" + pattern + "\": matching gave up after " +
          std::to_string(static_cast<int>(kResultMatchSeconds)) +
          " s; later lines were not searched");
    }
    if (matched) Store(key, TrimBlanks(found), results, warnings);
  }
}

std::vector<ResultValue> ResultCollector::Collect(
    const TaskExtras& extras, std::vector<std::string>* warnings) {
  ResultMap results;
  size_t size = 0;
  if (!extras.result_patterns.empty() && !extras.stdout_path.empty()) {
    std::string tail =
        ReadRange(extras.stdout_path, true, kResultScanBytes, &size);
    std::string_view lines(tail);
    // A tail that starts mid-line would match half a line: drop it.
    if (size > tail.size()) lines.remove_prefix(lines.find('\n') + 1);
    Match(extras.result_patterns, lines, &results, warnings);
  }
  if (!extras.result_path.empty()) {
    std::string text =
        ReadRange(extras.result_path, false, kResultFileMaxBytes, &size);
    std::vector<std::string> problems;
    ParseResultLines(text, &results, &problems);
    if (size > text.size()) {
      problems.push_back("only the first " +
                         std::to_string(kResultFileMaxBytes) +
                         " bytes were read");
    }
    for (std::string& problem : problems) {
      warnings->push_back(extras.result_path + ": " + problem);
    }
  }
  std::vector<ResultValue> values;
  values.reserve(results.size());
  for (auto& entry : results) values.push_back(std::move(entry.second));
  return values;
}

}  // namespace sortie
