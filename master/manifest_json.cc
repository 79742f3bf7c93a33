#include "master/manifest_json.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "master/manifest_util.h"

namespace sortie::manifest_internal {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

// Enough for typical lines without growing; longer lines grow it.
constexpr size_t kInitialCapacity = 64 * 1024;
// simdjson needs ~14 bytes of memory per input byte; past this a line is a
// mistake, and refusing it beats exhausting a login node's memory.
constexpr size_t kMaxLineBytes = size_t{256} << 20;
// After a line this long, give the memory back instead of keeping it.
constexpr size_t kKeepCapacity = size_t{64} << 20;

// In the order of the Key enum below.
// clang-format off
constexpr std::array<std::string_view, 16> kKeys = {
    "id", "command", "function", "args", "cwd", "env", "stdout", "stderr",
    "tags", "nodes", "ranks_per_node", "cores_per_rank", "gpus_per_rank",
    "priority", "est_runtime", "launcher_args"};
// clang-format on

// The allowed values of an integer key; `rule` says which in words.
struct IntRange {
  const char* key;
  int64_t min;
  int64_t max;
  const char* rule;
};
constexpr IntRange kNodesRange{"nodes", 1, kMaxNodes, "an integer >= 1"};
constexpr IntRange kRanksPerNodeRange{"ranks_per_node", 1, kMaxRanksPerNode,
                                      "an integer >= 1"};
constexpr IntRange kCoresPerRankRange{"cores_per_rank", 1, kMaxCoresPerRank,
                                      "an integer >= 1"};
constexpr IntRange kGpusPerRankRange{"gpus_per_rank", 0, kMaxGpusPerRank,
                                     "an integer >= 0"};
constexpr IntRange kPriorityRange{"priority", INT32_MIN, INT32_MAX,
                                  "an integer from -2147483648 to 2147483647"};

std::string KnownKeyList() {
  std::string list;
  for (std::string_view key : kKeys) {
    if (!list.empty()) list += ", ";
    list += key;
  }
  return list;
}

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

// A value as a message shows it: scalars as written, containers by type.
std::string Shown(element value) {
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) return Quote(text);
  if (value.is_array() || value.is_object()) {
    return std::string(TypeName(value));
  }
  return simdjson::minify(value);
}

// simdjson's error codes in words a manifest author can act on.
std::string_view PlainWords(simdjson::error_code error) {
  switch (error) {
    case simdjson::CAPACITY:
      return "the line is too long to parse";
    case simdjson::MEMALLOC:
      return "out of memory while parsing the line";
    case simdjson::TAPE_ERROR:
      return "the structure is broken: a comma, colon, quote, bracket or "
             "brace is missing or out of place";
    case simdjson::DEPTH_ERROR:
      return "arrays and objects are nested too deeply (the limit is 1024 "
             "levels)";
    case simdjson::STRING_ERROR:
      return "a string has an invalid escape sequence";
    case simdjson::T_ATOM_ERROR:
      return "a value starting with 't' is not true";
    case simdjson::F_ATOM_ERROR:
      return "a value starting with 'f' is not false";
    case simdjson::N_ATOM_ERROR:
      return "a value starting with 'n' is not null";
    case simdjson::NUMBER_ERROR:
    case simdjson::NUMBER_OUT_OF_RANGE:
      return "a number is malformed or out of range";
    case simdjson::UTF8_ERROR:
      return "the text is not valid UTF-8";
    case simdjson::EMPTY:
      return "there is no JSON value";
    case simdjson::UNESCAPED_CHARS:
      return "a string contains a raw control character (write a tab as \\t, "
             "a newline as \\n)";
    case simdjson::UNCLOSED_STRING:
      return "a string is not closed with \"";
    case simdjson::INCOMPLETE_ARRAY_OR_OBJECT:
      return "an object or array is not closed with } or ]";
    default:
      return simdjson::error_message(error);
  }
}

enum class Key : uint8_t {
  kId,
  kCommand,
  kFunction,
  kArgs,
  kCwd,
  kEnv,
  kStdout,
  kStderr,
  kTags,
  kNodes,
  kRanksPerNode,
  kCoresPerRank,
  kGpusPerRank,
  kPriority,
  kEstRuntime,
  kLauncherArgs,
};

constexpr uint32_t Bit(Key key) { return 1u << static_cast<unsigned>(key); }

bool Classify(std::string_view key, Key* out) {
  for (size_t i = 0; i < kKeys.size(); ++i) {
    if (kKeys[i] == key) {
      *out = static_cast<Key>(i);
      return true;
    }
  }
  return false;
}

bool HasNul(std::string_view text) {
  return text.find('\0') != std::string_view::npos;
}

// Reads the fields of one task object, collecting problems as it goes.
class TaskReader {
 public:
  TaskReader(std::vector<std::string>* problems,
             std::vector<std::string_view>* keys,
             simdjson::internal::string_builder<>* builder)
      : problems_(problems), keys_(keys), builder_(builder) {}

  void Read(object fields, TaskSpec* task);
  bool saw_id() const { return saw_id_; }

 private:
  void Problem(std::string message) {
    problems_->push_back(std::move(message));
  }
  void ReadField(Key key, element value, TaskSpec* task);
  void ReadId(element value, TaskSpec* task);
  void ReadCommand(element value, TaskSpec* task);
  void ReadArgv(array items, TaskSpec* task);
  void ReadPath(std::string_view name, element value, std::string* out);
  void ReadEnv(element value, TaskSpec* task);
  void ReadTags(element value, TaskSpec* task);
  void ReadFunction(element value, TaskSpec* task);
  void ReadArgs(element value, TaskSpec* task);
  void ReadInt(element value, const IntRange& range, int32_t* out);
  void ReadEstRuntime(element value, TaskSpec* task);
  void ReadLauncherArgs(element value, TaskSpec* task);
  void CheckSleepArgs(bool has_args);
  void CheckDuplicateKeys(std::string_view where, element value);

  std::vector<std::string>* problems_;
  std::vector<std::string_view>* keys_;
  simdjson::internal::string_builder<>* builder_;
  bool saw_id_ = false;
  element args_;  // valid while the line's document is
};

void TaskReader::Read(object fields, TaskSpec* task) {
  uint32_t seen = 0;
  for (simdjson::dom::key_value_pair field : fields) {
    Key key;
    if (!Classify(field.key, &key)) {
      std::string_view hint = SuggestKey(field.key, kKeys);
      Problem("unknown key " + Quote(field.key) +
              (hint.empty() ? " (known keys: " + KnownKeyList() + ")"
                            : " (did you mean " + Quote(hint) + "?)"));
      continue;
    }
    if (seen & Bit(key)) {
      Problem("duplicate key " + Quote(field.key));
      continue;
    }
    seen |= Bit(key);
    ReadField(key, field.value, task);
  }
  PresentKeys present;
  present.command = seen & Bit(Key::kCommand);
  present.function = seen & Bit(Key::kFunction);
  present.args = seen & Bit(Key::kArgs);
  present.cwd = seen & Bit(Key::kCwd);
  present.env = seen & Bit(Key::kEnv);
  present.launcher_args = seen & Bit(Key::kLauncherArgs);
  CheckKeyCombination(present, *task, problems_);
  // Checked now rather than when the task starts, hours into a run.
  if (!present.command && task->function == "sortie:sleep") {
    CheckSleepArgs(present.args);
  }
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
      ReadPath("cwd", value, &task->cwd);
      break;
    case Key::kEnv:
      ReadEnv(value, task);
      break;
    case Key::kStdout:
      ReadPath("stdout", value, &task->stdout_path);
      break;
    case Key::kStderr:
      ReadPath("stderr", value, &task->stderr_path);
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
  task->env.reserve(vars.size());
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
      task->env.emplace_back(var.key, text);
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
  task->est_runtime = seconds;
}

void TaskReader::ReadLauncherArgs(element value, TaskSpec* task) {
  array items;
  if (value.get_array().get(items)) {
    return Problem("\"launcher_args\" must be an array of strings; got " +
                   std::string(TypeName(value)));
  }
  task->launcher_args.reserve(items.size());
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
      task->launcher_args.emplace_back(arg);
    }
    ++index;
  }
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

}  // namespace

bool JsonLineParser::Parse(std::string_view line, uint64_t line_number,
                           TaskSpec* task, std::vector<std::string>* problems) {
  if (!Reserve(line.size(), problems)) return false;
  element root;
  simdjson::error_code error =
      parser_.parse(line.data(), line.size(), false).get(root);
  bool is_object = false;
  if (error) {
    problems->push_back(DescribeParseError(line, error));
  } else if (!root.is_object()) {
    problems->push_back("expected a JSON object {...}; got " +
                        std::string(TypeName(root)));
  } else {
    is_object = true;
    TaskReader reader(problems, &keys_, &builder_);
    reader.Read(root.get_object().value_unsafe(), task);
    if (!reader.saw_id()) task->id = std::to_string(line_number);
  }
  if (capacity_ > kKeepCapacity) {
    parser_ = simdjson::dom::parser();
    capacity_ = 0;
  }
  return is_object;
}

bool JsonLineParser::Reserve(size_t size, std::vector<std::string>* problems) {
  if (size <= capacity_) return true;
  if (size > kMaxLineBytes) {
    problems->push_back("line is too long (" + std::to_string(size) +
                        " bytes; the limit for JSON lines is " +
                        std::to_string(kMaxLineBytes >> 20) + " MiB)");
    return false;
  }
  size_t want = std::max({size, 2 * capacity_, kInitialCapacity});
  want = std::min(want, std::max(size, kMaxLineBytes));
  // The document's buffers are allocated apart from the parser's; grow both
  // or simdjson re-sizes the document to each longer line.
  if (parser_.allocate(want) || parser_.doc.allocate(want)) {
    parser_ = simdjson::dom::parser();
    capacity_ = 0;
    problems->push_back("out of memory reading a line of " +
                        std::to_string(size) + " bytes");
    return false;
  }
  capacity_ = want;
  return true;
}

std::string JsonLineParser::DescribeParseError(std::string_view line,
                                               simdjson::error_code error) {
  LineShape shape = ScanShape(line);
  if (shape.value_end != std::string_view::npos) {
    std::string_view rest = Trim(line.substr(shape.value_end));
    element first;
    // The prefix is followed by the rest of the line, so it is padded too.
    if (!rest.empty() &&
        parser_.parse(line.data(), shape.value_end, false).get(first) ==
            simdjson::SUCCESS) {
      return std::string("unexpected text after the ") +
             (first.is_object() ? "object" : "JSON value") + ": " + Quote(rest);
    }
  }
  if (error == simdjson::TAPE_ERROR && shape.open_string) {
    error = simdjson::UNCLOSED_STRING;
  } else if (error == simdjson::TAPE_ERROR && shape.open_bracket) {
    error = simdjson::INCOMPLETE_ARRAY_OR_OBJECT;
  }
  return "invalid JSON: " + std::string(PlainWords(error));
}

}  // namespace sortie::manifest_internal
