// One manifest line to one TaskSpec: parses it with simdjson, explains
// syntax errors, and walks the task object's keys (unknown, repeated, how
// they combine), leaving each key's value to its reader in manifest_keys.cc.
#include "master/manifest_json.h"

#include <algorithm>

#include "master/manifest_keys.h"
#include "master/manifest_text.h"
#include "master/manifest_util.h"

namespace sortie::manifest_internal {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

// Enough for typical lines without growing; longer lines grow it.
constexpr size_t kInitialCapacity = 64 * 1024;
// simdjson's default nesting limit, which the message names.
constexpr size_t kMaxDepth = simdjson::DEFAULT_MAX_DEPTH;
static_assert(kMaxDepth == 1024, "the depth message says 1024 levels");
// After a line this long, give the memory back instead of keeping it.
constexpr size_t kKeepCapacity = size_t{64} << 20;

std::string KnownKeyList() {
  std::string list;
  for (std::string_view key : kKeys) {
    if (!list.empty()) list += ", ";
    list += key;
  }
  return list;
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

}  // namespace

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
  present.timeout = seen & Bit(Key::kTimeout);
  CheckKeyCombination(present, *task, problems_);
  if (present.function && (seen & Bit(Key::kResults))) {
    Problem(
        "\"results\" needs a command task: a function has no stdout file to "
        "match");
  }
  // Checked now rather than when the task starts, hours into a run.
  if (!present.command && task->function == "sortie:sleep") {
    CheckSleepArgs(present.args);
  }
}

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
    TaskReader reader(problems, &keys_, &builder_, &after_names_);
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
  if (error == simdjson::NUMBER_ERROR) {
    std::string number = DescribeNumberError(line);
    if (!number.empty()) return "invalid JSON: " + number;
  }
  // A million unclosed '[' are both unclosed and too deep; the depth is
  // what to fix first (closing them would not help).
  if (shape.deepest > kMaxDepth) {
    error = simdjson::DEPTH_ERROR;
  } else if (error == simdjson::TAPE_ERROR && shape.open_string) {
    error = simdjson::UNCLOSED_STRING;
  } else if (error == simdjson::TAPE_ERROR && shape.open_bracket) {
    error = simdjson::INCOMPLETE_ARRAY_OR_OBJECT;
  }
  return "invalid JSON: " + std::string(PlainWords(error));
}

}  // namespace sortie::manifest_internal
