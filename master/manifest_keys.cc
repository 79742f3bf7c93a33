// The readers of a task object's keys, one per key: each checks the type and
// range of its value and either sets the TaskSpec field or describes what is
// wrong in words a user can act on. Which keys exist and how they combine is
// manifest_json.cc's business.
#include "master/manifest_keys.h"

#include <algorithm>
#include <cmath>

#include "master/manifest_util.h"

namespace sortie::manifest_internal {

// The allowed values of an integer key; `rule` says which in words.
struct IntRange {
  const char* key;
  int64_t min;
  int64_t max;
  const char* rule;
};

namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

constexpr IntRange kNodesRange{"nodes", 1, kMaxNodes, "an integer >= 1"};
constexpr IntRange kRanksPerNodeRange{"ranks_per_node", 1, kMaxRanksPerNode,
                                      "an integer >= 1"};
constexpr IntRange kCoresPerRankRange{"cores_per_rank", 1, kMaxCoresPerRank,
                                      "an integer >= 1"};
constexpr IntRange kGpusPerRankRange{"gpus_per_rank", 0, kMaxGpusPerRank,
                                     "an integer >= 0"};
constexpr IntRange kPriorityRange{"priority", INT32_MIN, INT32_MAX,
                                  "an integer from -2147483648 to 2147483647"};
constexpr IntRange kRetriesRange{"retries", 0, kMaxRetries, "an integer >= 0"};

// A value as a message shows it: scalars as written, containers by type.
std::string Shown(element value) {
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) return Quote(text);
  if (value.is_array() || value.is_object()) {
    return std::string(TypeName(value));
  }
  return simdjson::minify(value);
}

bool HasNul(std::string_view text) {
  return text.find('\0') != std::string_view::npos;
}

}  // namespace

std::string_view TypeName(element value) {
  switch (value.type()) {
    case element_type::ARRAY:
      return "an array";
    case element_type::OBJECT:
      return "an object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "a number";
    case element_type::STRING:
      return "a string";
    case element_type::BOOL:
      return "a boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "an unknown value";
}

void TaskReader::ReadField(Key key, element value, TaskSpec* task) {
  switch (key) {
    case Key::kId:
      ReadId(value, task);
      break;
    case Key::kCommand:
      ReadCommand(value, task);
      break;
    case Key::kCwd:
      ReadPath("cwd", value, &task->mutable_extras().cwd);
      break;
    case Key::kEnv:
      ReadEnv(value, task);
      break;
    case Key::kStdout:
      ReadPath("stdout", value, &task->mutable_extras().stdout_path);
      break;
    case Key::kStderr:
      ReadPath("stderr", value, &task->mutable_extras().stderr_path);
      break;
    case Key::kTags:
      ReadTags(value, task);
      break;
    case Key::kFunction:
      ReadFunction(value, task);
      break;
    case Key::kArgs:
      ReadArgs(value, task);
      break;
    case Key::kNodes:
      ReadInt(value, kNodesRange, &task->nodes);
      break;
    case Key::kRanksPerNode:
      ReadInt(value, kRanksPerNodeRange, &task->ranks_per_node);
      break;
    case Key::kCoresPerRank:
      ReadInt(value, kCoresPerRankRange, &task->cores_per_rank);
      break;
    case Key::kGpusPerRank:
      ReadInt(value, kGpusPerRankRange, &task->gpus_per_rank);
      break;
    case Key::kPriority:
      ReadInt(value, kPriorityRange, &task->priority);
      break;
    case Key::kEstRuntime:
      ReadEstRuntime(value, task);
      break;
    case Key::kLauncherArgs:
      ReadLauncherArgs(value, task);
      break;
    case Key::kTimeout:
      ReadTimeout(value, task);
      break;
    case Key::kRetries:
      ReadInt(value, kRetriesRange, &task->retries);
      break;
    case Key::kAfter:
      ReadAfter(value, task);
      break;
    case Key::kResults:
      ReadResults(value, task);
      break;
  }
}

void TaskReader::ReadId(element value, TaskSpec* task) {
  saw_id_ = true;
  std::string_view id;
  if (value.get_string().get(id)) {
    return Problem("\"id\" must be a string; got " +
                   std::string(TypeName(value)));
  }
  if (id.empty()) return Problem("\"id\" is empty");
  size_t bad = FindControlChar(id);
  if (bad != std::string_view::npos) {
    return Problem("\"id\" " + Quote(id) + " contains " +
                   DescribeControlChar(id[bad]));
  }
  task->id.assign(id);
}

void TaskReader::ReadCommand(element value, TaskSpec* task) {
  array items;
  if (value.get_array().get(items) == simdjson::SUCCESS) {
    return ReadArgv(items, task);
  }
  std::string_view text;
  if (value.get_string().get(text)) {
    return Problem("\"command\" must be a string or an array of strings; got " +
                   std::string(TypeName(value)));
  }
  if (text.empty()) return Problem("\"command\" is empty");
  if (Trim(text).empty()) return Problem("\"command\" is only whitespace");
  if (HasNul(text)) return Problem("\"command\" contains a NUL character");
  task->shell = true;
  task->command.assign(1, std::string(text));
}

void TaskReader::ReadArgv(array items, TaskSpec* task) {
  if (items.begin() == items.end()) {
    return Problem("\"command\" is an empty array");
  }
  task->shell = false;
  task->command.reserve(items.size());
  size_t index = 0;
  for (element item : items) {
    auto where = [&] { return "command[" + std::to_string(index) + "]"; };
    std::string_view arg;
    if (item.get_string().get(arg)) {
      Problem("\"command\" elements must be strings; " + where() + " is " +
              std::string(TypeName(item)));
    } else if (index == 0 && Trim(arg).empty()) {
      Problem(where() + ", the program to run, is " +
              (arg.empty() ? "empty" : "only whitespace"));
    } else if (HasNul(arg)) {
      Problem(where() + " contains a NUL character");
    } else {
      task->command.emplace_back(arg);
    }
    ++index;
  }
}

void TaskReader::ReadPath(std::string_view name, element value,
                          std::string* out) {
  auto key = [&] { return "\"" + std::string(name) + "\""; };
  std::string_view path;
  if (value.get_string().get(path)) {
    return Problem(key() + " must be a string; got " +
                   std::string(TypeName(value)));
  }
  if (path.empty()) return Problem(key() + " is empty (leave it out instead)");
  if (HasNul(path)) return Problem(key() + " contains a NUL character");
  out->assign(path);
}

void TaskReader::ReadEnv(element value, TaskSpec* task) {
  object vars;
  if (value.get_object().get(vars)) {
    return Problem("\"env\" must be an object; got " +
                   std::string(TypeName(value)));
  }
  CheckDuplicateKeys("env", value);
  task->mutable_extras().env.reserve(vars.size());
  for (simdjson::dom::key_value_pair var : vars) {
    std::string_view text;
    if (var.key.empty()) {
      Problem("\"env\" has an empty variable name");
    } else if (var.key.find('=') != std::string_view::npos || HasNul(var.key)) {
      Problem("\"env\" variable name " + Quote(var.key) +
              " contains '=' or a NUL character");
    } else if (var.value.get_string().get(text)) {
      Problem("\"env\" values must be strings; " + Quote(var.key) + " is " +
              std::string(TypeName(var.value)));
    } else if (HasNul(text)) {
      Problem("\"env\" value of " + Quote(var.key) +
              " contains a NUL character");
    } else {
      task->mutable_extras().env.emplace_back(var.key, text);
    }
  }
}

void TaskReader::ReadTags(element value, TaskSpec* task) {
  if (!value.is_object()) {
    return Problem("\"tags\" must be an object; got " +
                   std::string(TypeName(value)));
  }
  CheckDuplicateKeys("tags", value);
  builder_->clear();
  builder_->append(value);
  task->tags_json.assign(builder_->str());
}

void TaskReader::ReadFunction(element value, TaskSpec* task) {
  std::string_view name;
  if (value.get_string().get(name)) {
    return Problem("\"function\" must be a string; got " +
                   std::string(TypeName(value)));
  }
  std::string problem = CheckFunctionName(name);
  if (!problem.empty()) return Problem(std::move(problem));
  task->function.assign(name);
}

void TaskReader::ReadArgs(element value, TaskSpec* task) {
  args_ = value;
  CheckDuplicateKeys("args", value);
  builder_->clear();
  builder_->append(value);
  task->args_json.assign(builder_->str());
}

// Only JSON integers count: 2.0 is rejected like 1.5, since a resource
// count written as a float is more likely a computed value gone wrong.
void TaskReader::ReadInt(element value, const IntRange& range, int32_t* out) {
  int64_t number = 0;
  const simdjson::error_code error = value.get_int64().get(number);
  // Out of range means a uint64 above INT64_MAX: above every range.
  if (error == simdjson::NUMBER_OUT_OF_RANGE) number = INT64_MAX;
  const std::string key = "\"" + std::string(range.key) + "\"";
  const std::string got = " (got " + Shown(value) + ")";
  if ((error && error != simdjson::NUMBER_OUT_OF_RANGE) || number < range.min) {
    return Problem(key + " must be " + range.rule + got);
  }
  if (number > range.max) {
    return Problem(key + " must be at most " + std::to_string(range.max) + got);
  }
  *out = static_cast<int32_t>(number);
}

void TaskReader::ReadEstRuntime(element value, TaskSpec* task) {
  double seconds = 0;
  // get_double also accepts integers. JSON cannot spell NaN or infinity and
  // simdjson rejects literals that overflow a double; isfinite is a guard
  // should either ever change.
  if (value.get_double().get(seconds) || !(seconds > 0) ||
      !std::isfinite(seconds)) {
    return Problem("\"est_runtime\" must be a number of seconds > 0 (got " +
                   Shown(value) + ")");
  }
  if (seconds > kMaxEstRuntime) {
    return Problem("\"est_runtime\" must be at most 1000000000 seconds (got " +
                   Shown(value) + ")");
  }
  task->est_runtime = seconds;
}

void TaskReader::ReadLauncherArgs(element value, TaskSpec* task) {
  array items;
  if (value.get_array().get(items)) {
    return Problem("\"launcher_args\" must be an array of strings; got " +
                   std::string(TypeName(value)));
  }
  task->mutable_extras().launcher_args.reserve(items.size());
  size_t index = 0;
  for (element item : items) {
    auto where = [&] { return "launcher_args[" + std::to_string(index) + "]"; };
    std::string_view arg;
    if (item.get_string().get(arg)) {
      Problem("\"launcher_args\" elements must be strings; " + where() +
              " is " + std::string(TypeName(item)));
    } else if (arg.empty()) {
      Problem(where() + " is empty");
    } else if (HasNul(arg)) {
      Problem(where() + " contains a NUL character");
    } else {
      task->mutable_extras().launcher_args.emplace_back(arg);
    }
    ++index;
  }
}

void TaskReader::ReadTimeout(element value, TaskSpec* task) {
  double seconds = 0;
  if (value.get_double().get(seconds) || !(seconds > 0) ||
      !std::isfinite(seconds)) {
    return Problem(
        "\"timeout\" must be a number of seconds > 0 (leave it out for no "
        "limit; got " +
        Shown(value) + ")");
  }
  if (seconds > kMaxTimeout) {
    return Problem("\"timeout\" must be at most 1000000000 seconds (got " +
                   Shown(value) + ")");
  }
  task->timeout = seconds;
}

void TaskReader::CheckSleepArgs(bool has_args) {
  const std::string where = "\"args\" of \"sortie:sleep\"";
  if (!has_args) {
    return Problem(
        "\"sortie:sleep\" needs \"args\": {\"seconds\": N} with a number "
        "N >= 0");
  }
  object fields;
  if (args_.get_object().get(fields)) {
    return Problem(where + " must be an object {\"seconds\": N}; got " +
                   Shown(args_));
  }
  element seconds_value;
  bool found = false;
  for (simdjson::dom::key_value_pair field : fields) {
    if (field.key != "seconds") {
      Problem(where + " has unknown key " + Quote(field.key) +
              " (it takes only \"seconds\")");
    } else if (!found) {  // a repeat is reported as a duplicate key
      seconds_value = field.value;
      found = true;
    }
  }
  double seconds = 0;
  if (!found) {
    Problem(where + " needs \"seconds\" (a number >= 0)");
  } else if (seconds_value.get_double().get(seconds) || !(seconds >= 0)) {
    Problem(where + ": \"seconds\" must be a number >= 0 (got " +
            Shown(seconds_value) + ")");
  } else if (seconds > kMaxSleepSeconds) {
    Problem(where + ": \"seconds\" must be at most 1000000000 (got " +
            Shown(seconds_value) + ")");
  }
}

// Reports keys repeated within any one object under `value`. Recursion is
// bounded by simdjson's depth limit, which the parse already enforced.
void TaskReader::CheckDuplicateKeys(std::string_view where, element value) {
  array items;
  if (value.get_array().get(items) == simdjson::SUCCESS) {
    for (element item : items) CheckDuplicateKeys(where, item);
    return;
  }
  object fields;
  if (value.get_object().get(fields)) return;
  keys_->clear();
  for (simdjson::dom::key_value_pair field : fields) {
    keys_->push_back(field.key);
  }
  std::sort(keys_->begin(), keys_->end());
  for (size_t i = 1; i < keys_->size(); ++i) {
    if ((*keys_)[i] == (*keys_)[i - 1] &&
        (i < 2 || (*keys_)[i] != (*keys_)[i - 2])) {
      Problem("\"" + std::string(where) + "\" has duplicate key " +
              Quote((*keys_)[i]));
    }
  }
  for (simdjson::dom::key_value_pair field : fields) {
    CheckDuplicateKeys(where, field.value);
  }
}

}  // namespace sortie::manifest_internal
