// The reader of a task's "results" key: which values the worker extracts
// from the task's stdout. Checked here, at load, so a bad regex stops the
// run before anything starts rather than losing every task's results.
#include <string>
#include <unordered_map>

#include "common/task_results.h"
#include "master/manifest_keys.h"
#include "master/manifest_util.h"

namespace sortie::manifest_internal {
namespace {

// Compiling a std::regex costs microseconds to milliseconds, and a generated
// manifest repeats one pattern on every line: remember the verdicts.
const std::string& PatternProblem(const std::string& pattern) {
  constexpr size_t kMaxRemembered = 4096;
  thread_local std::unordered_map<std::string, std::string> verdicts;
  auto it = verdicts.find(pattern);
  if (it != verdicts.end()) return it->second;
  if (verdicts.size() >= kMaxRemembered) verdicts.clear();
  return verdicts.emplace(pattern, CheckResultPattern(pattern)).first->second;
}

}  // namespace

void TaskReader::ReadResults(simdjson::dom::element value, TaskSpec* task) {
  simdjson::dom::object patterns;
  if (value.get_object().get(patterns)) {
    return Problem(
        "\"results\" must be an object of key -> regex with one capture "
        "group; got " +
        std::string(TypeName(value)));
  }
  CheckDuplicateKeys("results", value);
  for (simdjson::dom::key_value_pair entry : patterns) {
    const std::string where = "\"results\" key " + Quote(entry.key);
    std::string_view pattern;
    if (entry.key.empty()) {
      Problem("\"results\" has an empty key");
    } else if (entry.key.size() > kResultKeyMaxBytes) {
      Problem(where + " is longer than " + std::to_string(kResultKeyMaxBytes) +
              " bytes");
    } else if (FindControlChar(entry.key) != std::string_view::npos ||
               entry.key.find('=') != std::string_view::npos) {
      Problem(where + " contains '=' or a control character");
    } else if (entry.value.get_string().get(pattern)) {
      Problem(where + ": the pattern must be a string; got " +
              std::string(TypeName(entry.value)));
    } else if (const std::string& problem =
                   PatternProblem(std::string(pattern));
               !problem.empty()) {
      Problem(where + ": pattern " + Quote(pattern) + " " + problem);
    } else {
      task->mutable_extras().result_patterns.emplace_back(entry.key, pattern);
    }
  }
}

}  // namespace sortie::manifest_internal
