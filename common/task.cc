#include "common/task.h"

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

}  // namespace sortie
