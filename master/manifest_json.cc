#include "master/manifest_json.h"

#include <algorithm>
#include <array>

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
constexpr std::array<std::string_view, 7> kKeys = {
    "id", "command", "cwd", "env", "stdout", "stderr", "tags"};

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

enum class Key : uint8_t { kId, kCommand, kCwd, kEnv, kStdout, kStderr, kTags };

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
  void CheckDuplicateKeys(std::string_view where, element value);

  std::vector<std::string>* problems_;
  std::vector<std::string_view>* keys_;
  simdjson::internal::string_builder<>* builder_;
  bool saw_id_ = false;
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
    uint32_t bit = 1u << static_cast<unsigned>(key);
    if (seen & bit) {
      Problem("duplicate key " + Quote(field.key));
      continue;
    }
    seen |= bit;
    ReadField(key, field.value, task);
  }
  if (!(seen & (1u << static_cast<unsigned>(Key::kCommand)))) {
    Problem("missing required key \"command\"");
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
