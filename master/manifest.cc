#include "master/manifest.h"

#include <fcntl.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <future>
#include <iterator>
#include <new>
#include <optional>

#include "common/errno_text.h"
#include "common/prefault.h"
#include "common/run_beside.h"
#include "common/sha256.h"
#include "master/manifest_graph.h"
#include "master/manifest_json.h"
#include "master/manifest_outputs.h"
#include "master/manifest_text.h"
#include "master/manifest_util.h"

namespace sortie {
namespace {

using manifest_internal::IdTable;
using manifest_internal::JsonLineParser;
using manifest_internal::kMaxLineBytes;
using manifest_internal::PaddedText;
using manifest_internal::Quote;
using manifest_internal::SkipByteOrderMark;
using manifest_internal::Trim;

// A broken or binary file can produce an error per line; listing the first
// ten thousand is plenty to act on and keeps memory bounded.
constexpr size_t kMaxErrors = 10000;
// Pre-sizing the task list avoids regrowing it, but must not make a huge
// hostile file reserve gigabytes up front.
constexpr size_t kMaxReserve = size_t{1} << 22;
// Below this many likely tasks the task list is faulted in by the parse
// itself: a prefault thread costs more than it saves.
constexpr size_t kPrefaultFrom = 20000;

bool LineOrder(const ManifestError& a, const ManifestError& b) {
  return a.line < b.line;
}

// One pass over the manifest's lines, then one over the tasks' `after`
// lists; holds what must outlive a line: the parser, the id table and the
// errors.
class ManifestReader {
 public:
  ManifestReader(const std::string& path, std::vector<ManifestError>* errors)
      : path_(path), errors_(errors), first_error_(errors->size()) {}

  void Read(std::string_view text, bool json, std::vector<TaskSpec>* tasks);
  /// Adds a problem at `line`, which must not be before the line of the
  /// last one added; past kMaxErrors only counts it.
  void Error(uint64_t line, std::string message);
  /// Adds a problem found after every line was read, at any line.
  void LateError(uint64_t line, std::string message);
  /// Puts all problems in line order and notes how many were not listed.
  /// True when there were none.
  bool Finish();

 private:
  void ReadLine(std::string_view line, uint64_t number, bool json,
                std::vector<TaskSpec>* tasks);
  void ReadJsonLine(std::string_view line, uint64_t number,
                    std::vector<TaskSpec>* tasks);
  void ReadPlainLine(std::string_view command, uint64_t number,
                     std::vector<TaskSpec>* tasks);
  void CheckUniqueId(std::vector<TaskSpec>* tasks);
  void MergeLateErrors();
  void MakeAbsolute(std::string* path);
  void MakeLibraryPathAbsolute(std::string* function);

  const std::string& path_;
  std::vector<ManifestError>* errors_;
  size_t first_error_;  // the caller's errors before ours are left alone
  size_t error_count_ = 0;
  std::vector<ManifestError> late_errors_;
  JsonLineParser json_;
  IdTable ids_;
  std::vector<std::string> problems_;  // one line's, reused
  std::string cwd_;                    // read once, when first needed
};

void ManifestReader::Read(std::string_view text, bool json,
                          std::vector<TaskSpec>* tasks) {
  bool valid_utf8 = simdjson::validate_utf8(text.data(), text.size());
  const bool has_nul = std::memchr(text.data(), '\0', text.size()) != nullptr;
  size_t expected =
      std::min(manifest_internal::CountLikelyTasks(text), kMaxReserve);
  tasks->reserve(expected);
  // The parse fills the list from the front while a second core, otherwise
  // waiting for MPI_Init, faults its pages in from the back.
  std::optional<BackgroundPrefault> prefault;
  if (expected >= kPrefaultFrom) {
    prefault.emplace(tasks->data(), tasks->capacity() * sizeof(TaskSpec));
  }
  if (json) ids_.Reserve(expected);
  std::string_view rest = SkipByteOrderMark(text);
  for (uint64_t number = 1; !rest.empty(); ++number) {
    // A manifest with a problem is refused and its tasks dropped: faulting
    // in the rest of their list would only hold memory until then.
    if (error_count_ > 0) prefault.reset();
    size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest.remove_prefix(newline == std::string_view::npos ? rest.size()
                                                         : newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // Whole-file checks are fast; only a file that fails one is rechecked
    // line by line to say where. Comment lines too: a NUL byte or invalid
    // UTF-8 in a text file means it is damaged or not the file meant.
    if ((!valid_utf8 && !simdjson::validate_utf8(line.data(), line.size())) ||
        (has_nul && line.find('\0') != std::string_view::npos)) {
      Error(number, manifest_internal::DescribeBadBytes(line));
      continue;
    }
    ReadLine(line, number, json, tasks);
  }
  if (!json) return;  // a plain list's ids are line numbers: all safe
  const manifest_internal::ProblemSink late = [this](uint64_t line,
                                                     std::string message) {
    LateError(line, std::move(message));
  };
  manifest_internal::ResolveAfter(json_.after_names(), ids_, tasks, late);
  manifest_internal::CheckOutputNames(*tasks, ids_, late);
}

void ManifestReader::ReadLine(std::string_view line, uint64_t number, bool json,
                              std::vector<TaskSpec>* tasks) {
  std::string_view content = Trim(line);
  if (content.empty() || content[0] == '#') return;
  if (line.size() > kMaxLineBytes) {
    return Error(number, "the line is too long (" +
                             std::to_string(line.size()) +
                             " bytes; the limit is " +
                             std::to_string(kMaxLineBytes >> 20) + " MiB)");
  }
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
  if (task.extras_box.get() != nullptr) {
    TaskExtras& extras = task.mutable_extras();
    MakeAbsolute(&extras.cwd);
    MakeAbsolute(&extras.stdout_path);
    MakeAbsolute(&extras.stderr_path);
    task.CompactExtras();  // e.g. "env": {} set nothing
  }
  MakeLibraryPathAbsolute(&task.function);
}

void ManifestReader::ReadPlainLine(std::string_view command, uint64_t number,
                                   std::vector<TaskSpec>* tasks) {
  // Read() has refused lines with a NUL byte, which would cut the command
  // short when it is run.
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

void ManifestReader::LateError(uint64_t line, std::string message) {
  ++error_count_;
  if (late_errors_.size() < kMaxErrors) {
    late_errors_.push_back({path_, line, std::move(message)});
  }
}

// Both lists are the first problems of their kind, so the first kMaxErrors
// of their merge are the first kMaxErrors of all.
void ManifestReader::MergeLateErrors() {
  if (late_errors_.empty()) return;
  std::stable_sort(late_errors_.begin(), late_errors_.end(), LineOrder);
  std::vector<ManifestError> merged;
  const auto ours = errors_->begin() + static_cast<ptrdiff_t>(first_error_);
  merged.reserve(static_cast<size_t>(errors_->end() - ours) +
                 late_errors_.size());
  std::merge(std::make_move_iterator(ours),
             std::make_move_iterator(errors_->end()),
             std::make_move_iterator(late_errors_.begin()),
             std::make_move_iterator(late_errors_.end()),
             std::back_inserter(merged), LineOrder);
  if (merged.size() > kMaxErrors) merged.resize(kMaxErrors);
  errors_->erase(ours, errors_->end());
  std::move(merged.begin(), merged.end(), std::back_inserter(*errors_));
  late_errors_.clear();
}

bool ManifestReader::Finish() {
  MergeLateErrors();
  const size_t listed = errors_->size() - first_error_;
  if (error_count_ > listed) {
    const uint64_t more = error_count_ - listed;
    errors_->push_back({path_, 0,
                        std::to_string(more) + " more error" +
                            (more == 1 ? "" : "s") + " not shown (the first " +
                            std::to_string(listed) + " are listed)",
                        more});
  }
  return error_count_ == 0;
}

// `text` must be followed by SIMDJSON_PADDING readable bytes.
bool ParsePadded(const std::string& path, std::string_view text,
                 ManifestFormat format, Manifest* out,
                 std::vector<ManifestError>* errors) {
  out->path = path;
  out->tasks.clear();
  // The digest is needed only once the tasks are read: taken beside the
  // parse, it costs nothing when a second core is free.
  std::future<std::string> digest = RunBeside(Sha256Hex, text);
  ManifestReader reader(path, errors);
  manifest_internal::NotText not_text = manifest_internal::DetectNotText(text);
  if (!not_text.message.empty()) {
    // Errors for its lines would only bury this one.
    reader.Error(not_text.line, std::move(not_text.message));
    out->sha256 = digest.get();
    return reader.Finish();
  }
  if (format == ManifestFormat::kAuto) {
    format = manifest_internal::DetectFormat(path, text);
  }
  reader.Read(text, format == ManifestFormat::kJsonLines, &out->tasks);
  out->sha256 = digest.get();
  if (reader.Finish()) return true;
  // Nothing may run from a manifest with problems; do not keep half of it.
  out->tasks.clear();
  out->tasks.shrink_to_fit();
  return false;
}

// Memory runs out only on input far beyond any real manifest (or on a
// machine already out of it); say so rather than throw.
bool OutOfMemory(const std::string& path, Manifest* out,
                 std::vector<ManifestError>* errors) {
  out->tasks.clear();
  out->tasks.shrink_to_fit();
  errors->push_back({path, 0, "out of memory reading the manifest"});
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
    errors->push_back({path, 0, "cannot open: " + ErrnoText(errno)});
    return false;
  }
  PaddedText text;
  int error = 0;
  try {
    error = manifest_internal::ReadWholeFile(fd, &text);
  } catch (const std::bad_alloc&) {
    close(fd);
    return OutOfMemory(path, out, errors);
  }
  close(fd);
  if (error != 0) {
    errors->push_back({path, 0, "cannot read: " + ErrnoText(error)});
    return false;
  }
  try {
    return ParsePadded(path, text.view(), format, out, errors);
  } catch (const std::bad_alloc&) {
    return OutOfMemory(path, out, errors);
  }
}

bool ParseManifest(const std::string& path, std::string_view text,
                   ManifestFormat format, Manifest* out,
                   std::vector<ManifestError>* errors) {
  try {
    PaddedText copy;
    copy.Allocate(text.size());
    if (!text.empty()) std::memcpy(copy.bytes.get(), text.data(), text.size());
    return ParsePadded(path, copy.view(), format, out, errors);
  } catch (const std::bad_alloc&) {
    return OutOfMemory(path, out, errors);
  }
}

}  // namespace sortie
