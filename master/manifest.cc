#include "master/manifest.h"

#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "common/sha256.h"
#include "master/manifest_json.h"
#include "master/manifest_util.h"

namespace sortie {
namespace {

using manifest_internal::IdTable;
using manifest_internal::JsonLineParser;
using manifest_internal::Quote;
using manifest_internal::Trim;

// A broken or binary file can produce an error per line; listing the first
// ten thousand is plenty to act on and keeps memory bounded.
constexpr size_t kMaxErrors = 10000;
// Pre-sizing the task list by line count avoids regrowing it, but a file of
// blank lines must not make us reserve gigabytes.
constexpr size_t kMaxReserve = size_t{1} << 22;

// The file's bytes followed by SIMDJSON_PADDING zero bytes, which lets
// simdjson parse any line in place.
struct PaddedText {
  std::unique_ptr<char[]> bytes;
  size_t size = 0;

  void Allocate(size_t n) {
    bytes.reset(new char[n + simdjson::SIMDJSON_PADDING]);
    size = n;
    std::memset(bytes.get() + n, 0, simdjson::SIMDJSON_PADDING);
  }
  void Shrink(size_t n) {  // keeps the padding zeroed after the new end
    size = n;
    std::memset(bytes.get() + n, 0, simdjson::SIMDJSON_PADDING);
  }
  std::string_view view() const { return {bytes.get(), size}; }
};

// Reads the whole file at once. A regular file's size is only a hint (it
// may grow, and /proc files report 0), so every file is read to its end.
// Returns an errno value, 0 on success.
int ReadFile(int fd, PaddedText* text) {
  struct stat st;
  if (fstat(fd, &st) != 0) return errno;
  // One spare byte lets the read that sees the end of a regular file
  // happen without growing the buffer.
  text->Allocate(S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) + 1
                                     : size_t{1} << 16);
  size_t used = 0;
  for (;;) {
    if (used == text->size) {
      PaddedText bigger;
      bigger.Allocate(text->size * 2);
      std::memcpy(bigger.bytes.get(), text->bytes.get(), used);
      *text = std::move(bigger);
    }
    ssize_t got = read(fd, text->bytes.get() + used, text->size - used);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return errno;
    if (got == 0) break;
    used += static_cast<size_t>(got);
  }
  text->Shrink(used);
  return 0;
}

bool HasExtension(std::string_view path,
                  std::initializer_list<std::string_view> extensions) {
  std::string name = std::filesystem::path(path).filename().string();
  size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) return false;
  std::string ext = name.substr(dot + 1);
  for (char& c : ext) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return std::find(extensions.begin(), extensions.end(), ext) !=
         extensions.end();
}

std::string_view SkipByteOrderMark(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  return text;
}

ManifestFormat DetectFormat(std::string_view path, std::string_view text) {
  if (HasExtension(path, {"jsonl", "ndjson", "json"})) {
    return ManifestFormat::kJsonLines;
  }
  if (HasExtension(path, {"txt", "sh", "list", "lst"})) {
    return ManifestFormat::kPlain;
  }
  text = SkipByteOrderMark(text);
  while (!text.empty()) {
    size_t newline = text.find('\n');
    std::string_view line = Trim(text.substr(0, newline));
    if (!line.empty() && line[0] != '#') {
      return line[0] == '{' ? ManifestFormat::kJsonLines
                            : ManifestFormat::kPlain;
    }
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
  return ManifestFormat::kPlain;
}

size_t CountLines(std::string_view text) {
  size_t lines = 1;
  const char* p = text.data();
  const char* end = p + text.size();
  while ((p = static_cast<const char*>(
              std::memchr(p, '\n', static_cast<size_t>(end - p)))) != nullptr) {
    ++lines;
    ++p;
  }
  return lines;
}

// One pass over the manifest's lines; holds what must outlive a line: the
// parser, the id table and the error count.
class ManifestReader {
 public:
  ManifestReader(const std::string& path, std::vector<ManifestError>* errors)
      : path_(path), errors_(errors) {}

  void Read(std::string_view text, bool json, std::vector<TaskSpec>* tasks);
  /// Adds a problem at `line`; past kMaxErrors only counts it.
  void Error(uint64_t line, std::string message);
  /// Notes how many problems were not listed. True when there were none.
  bool Finish();

 private:
  void ReadLine(std::string_view line, uint64_t number, bool json,
                std::vector<TaskSpec>* tasks);
  void ReadJsonLine(std::string_view line, uint64_t number,
                    std::vector<TaskSpec>* tasks);
  void ReadPlainLine(std::string_view command, uint64_t number,
                     std::vector<TaskSpec>* tasks);
  void CheckUniqueId(std::vector<TaskSpec>* tasks);
  void MakeAbsolute(std::string* path);
  void MakeLibraryPathAbsolute(std::string* function);

  const std::string& path_;
  std::vector<ManifestError>* errors_;
  size_t error_count_ = 0;
  JsonLineParser json_;
  IdTable ids_;
  std::vector<std::string> problems_;  // one line's, reused
  std::string cwd_;                    // read once, when first needed
};

void ManifestReader::Read(std::string_view text, bool json,
                          std::vector<TaskSpec>* tasks) {
  bool valid_utf8 = simdjson::validate_utf8(text.data(), text.size());
  size_t expected = std::min(CountLines(text), kMaxReserve);
  tasks->reserve(expected);
  if (json) ids_.Reserve(expected);
  std::string_view rest = SkipByteOrderMark(text);
  for (uint64_t number = 1; !rest.empty(); ++number) {
    size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest.remove_prefix(newline == std::string_view::npos ? rest.size()
                                                         : newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // Whole-file validation is fast; only a file that fails it is rechecked
    // line by line to say where.
    if (!valid_utf8 && !simdjson::validate_utf8(line.data(), line.size())) {
      Error(number, manifest_internal::DescribeInvalidUtf8(line));
      continue;
    }
    ReadLine(line, number, json, tasks);
  }
}

void ManifestReader::ReadLine(std::string_view line, uint64_t number, bool json,
                              std::vector<TaskSpec>* tasks) {
  std::string_view content = Trim(line);
  if (content.empty() || content[0] == '#') return;
  problems_.clear();
  if (json) {
    ReadJsonLine(line, number, tasks);
  } else {
    ReadPlainLine(content, number, tasks);
  }
  for (std::string& problem : problems_) Error(number, std::move(problem));
}

void ManifestReader::ReadJsonLine(std::string_view line, uint64_t number,
                                  std::vector<TaskSpec>* tasks) {
  TaskSpec& task = tasks->emplace_back();
  task.line = number;
  // A task with bad fields is kept until the end so later lines are still
  // checked against its id; the whole list is dropped if anything failed.
  if (!json_.Parse(line, number, &task, &problems_)) {
    tasks->pop_back();
    return;
  }
  CheckUniqueId(tasks);
  MakeAbsolute(&task.cwd);
  MakeAbsolute(&task.stdout_path);
  MakeAbsolute(&task.stderr_path);
  MakeLibraryPathAbsolute(&task.function);
}

void ManifestReader::ReadPlainLine(std::string_view command, uint64_t number,
                                   std::vector<TaskSpec>* tasks) {
  if (command.find('\0') != std::string_view::npos) {
    problems_.push_back("the command contains a NUL character");
    return;
  }
  TaskSpec& task = tasks->emplace_back();
  task.line = number;
  task.id = std::to_string(number);
  task.shell = true;
  task.command.emplace_back(command);
}

void ManifestReader::CheckUniqueId(std::vector<TaskSpec>* tasks) {
  const TaskSpec& task = tasks->back();
  if (task.id.empty()) return;  // already reported as a bad id
  if (tasks->size() > UINT32_MAX) {
    problems_.push_back("too many tasks (the limit is 2^32 - 1)");
    return;
  }
  int64_t first =
      ids_.FindOrInsert(*tasks, static_cast<uint32_t>(tasks->size() - 1));
  if (first >= 0) {
    problems_.push_back(
        "duplicate id " + Quote(task.id) + " (first on line " +
        std::to_string((*tasks)[static_cast<size_t>(first)].line) + ")");
  }
}

void ManifestReader::MakeAbsolute(std::string* path) {
  if (path->empty() || (*path)[0] == '/') return;
  if (cwd_.empty()) {
    std::error_code error;
    cwd_ = std::filesystem::current_path(error).string();
    if (error) {
      problems_.push_back("cannot make " + Quote(*path) +
                          " absolute: " + error.message());
      cwd_.clear();
      return;
    }
  }
  std::string_view relative = *path;
  while (relative.substr(0, 2) == "./") relative.remove_prefix(2);
  std::string absolute = cwd_;
  if (absolute.back() != '/') absolute += '/';
  absolute += relative;
  *path = std::move(absolute);
}

// A library path containing '/' is resolved like `cwd`, so every rank loads
// the same file; a bare name ("libx.so:f") is left for dlopen to search
// LD_LIBRARY_PATH and the system directories, as it would in a program.
void ManifestReader::MakeLibraryPathAbsolute(std::string* function) {
  const size_t colon = function->rfind(':');
  if (colon == std::string::npos || function->starts_with("sortie:")) return;
  if (function->find('/') > colon) return;
  MakeAbsolute(function);
}

void ManifestReader::Error(uint64_t line, std::string message) {
  if (++error_count_ <= kMaxErrors) {
    errors_->push_back({path_, line, std::move(message)});
  }
}

bool ManifestReader::Finish() {
  if (error_count_ > kMaxErrors) {
    errors_->push_back({path_, 0,
                        std::to_string(error_count_ - kMaxErrors) +
                            " more errors not shown (the first " +
                            std::to_string(kMaxErrors) + " are listed)"});
  }
  return error_count_ == 0;
}

// `text` must be followed by SIMDJSON_PADDING readable bytes.
bool ParsePadded(const std::string& path, std::string_view text,
                 ManifestFormat format, Manifest* out,
                 std::vector<ManifestError>* errors) {
  out->path = path;
  out->sha256 = Sha256Hex(text);
  out->tasks.clear();
  if (format == ManifestFormat::kAuto) format = DetectFormat(path, text);
  ManifestReader reader(path, errors);
  reader.Read(text, format == ManifestFormat::kJsonLines, &out->tasks);
  if (reader.Finish()) return true;
  // Nothing may run from a manifest with problems; do not keep half of it.
  out->tasks.clear();
  out->tasks.shrink_to_fit();
  return false;
}

}  // namespace

std::string ManifestError::ToString() const {
  if (line == 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ": " + message;
}

bool LoadManifest(const std::string& path, ManifestFormat format, Manifest* out,
                  std::vector<ManifestError>* errors) {
  out->path = path;
  out->sha256.clear();
  out->tasks.clear();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    errors->push_back(
        {path, 0, std::string("cannot open: ") + std::strerror(errno)});
    return false;
  }
  PaddedText text;
  int error = ReadFile(fd, &text);
  close(fd);
  if (error != 0) {
    errors->push_back(
        {path, 0, std::string("cannot read: ") + std::strerror(error)});
    return false;
  }
  return ParsePadded(path, text.view(), format, out, errors);
}

bool ParseManifest(const std::string& path, std::string_view text,
                   ManifestFormat format, Manifest* out,
                   std::vector<ManifestError>* errors) {
  PaddedText copy;
  copy.Allocate(text.size());
  if (!text.empty()) std::memcpy(copy.bytes.get(), text.data(), text.size());
  return ParsePadded(path, copy.view(), format, out, errors);
}

}  // namespace sortie
