#include "common/task.h"

#include <algorithm>

#include "common/json_escape.h"

namespace sortie {

std::string_view StateName(TaskState state) {
  switch (state) {
    case TaskState::kPending:
      return "PENDING";
    case TaskState::kRunning:
      return "RUNNING";
    case TaskState::kDone:
      return "DONE";
    case TaskState::kFailed:
      return "FAILED";
    case TaskState::kTimeout:
      return "TIMEOUT";
    case TaskState::kSkipped:
      return "SKIPPED";
    case TaskState::kInterrupted:
      return "INTERRUPTED";
  }
  return "UNKNOWN";
}

std::string CommandText(const TaskSpec& spec) {
  if (spec.shell) return spec.command.empty() ? std::string() : spec.command[0];
  std::string text = "[";
  for (size_t i = 0; i < spec.command.size(); ++i) {
    if (i > 0) text += ", ";
    AppendJsonString(spec.command[i], &text);
  }
  text += "]";
  return text;
}

namespace {

constexpr size_t kMaxStem = 200;

bool UnsafeInFileName(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return c == '/' || byte < 0x20 || byte == 0x7f;
}

}  // namespace

bool IdIsItsFileStem(std::string_view id) {
  return !id.empty() && id.size() <= kMaxStem && id[0] != '.' &&
         std::none_of(id.begin(), id.end(), UnsafeInFileName);
}

std::string LogFileStem(const std::string& id, uint32_t row) {
  if (IdIsItsFileStem(id)) return id;
  size_t cut = std::min(id.size(), kMaxStem);
  // Ids are UTF-8: a cut inside a character would name the file (and fill
  // /tasks/stdout) with invalid UTF-8.
  while (cut > 0 && cut < id.size() &&
         (static_cast<unsigned char>(id[cut]) & 0xc0) == 0x80) {
    --cut;
  }
  std::string stem = id.substr(0, cut);
  std::replace_if(stem.begin(), stem.end(), UnsafeInFileName, '_');
  if (stem.empty() || stem[0] == '.') stem.insert(0, "_");
  return stem + "." + std::to_string(row);
}

std::string DefaultOutputPath(const std::string& logs_dir, const TaskSpec& spec,
                              uint32_t row, std::string_view suffix) {
  if (!spec.function.empty()) return std::string();
  std::string path = logs_dir + "/" + LogFileStem(spec.id, row);
  path += suffix;
  return path;
}

void FillDefaultOutputs(const std::string& logs_dir, uint32_t row,
                        TaskSpec* spec) {
  // Functions print to the pilot's own streams: no files to name.
  if (!spec->function.empty()) return;
  // In the logs even when stdout goes elsewhere (/dev/null, say).
  TaskExtras& extras = spec->mutable_extras();
  extras.result_path = DefaultOutputPath(logs_dir, *spec, row, ".result");
  if (extras.stdout_path.empty())
    extras.stdout_path = DefaultOutputPath(logs_dir, *spec, row, ".out");
  if (extras.stderr_path.empty())
    extras.stderr_path = DefaultOutputPath(logs_dir, *spec, row, ".err");
}

}  // namespace sortie
