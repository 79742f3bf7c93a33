#include "master/manifest_util.h"

#include <algorithm>
#include <array>

#include "common/json_escape.h"

namespace sortie::manifest_internal {
namespace {

constexpr size_t kQuoteLimit = 60;
constexpr char kHex[] = "0123456789abcdef";

std::string HexByte(unsigned char c) {
  return {'0', 'x', kHex[c >> 4], kHex[c & 0xf]};
}

bool InRange(unsigned char c, unsigned lo, unsigned hi) {
  return c >= lo && c <= hi;
}

// Length of the valid UTF-8 sequence at the start of `s`, or 0 when it is
// not one (RFC 3629 section 4: the second byte's range depends on the first).
size_t ValidSequenceLength(std::string_view s) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length;
  unsigned lo = 0x80, hi = 0xbf;
  if (InRange(lead, 0xc2, 0xdf)) {
    length = 2;
  } else if (InRange(lead, 0xe0, 0xef)) {
    length = 3;
    if (lead == 0xe0) lo = 0xa0;  // overlong
    if (lead == 0xed) hi = 0x9f;  // UTF-16 surrogates
  } else if (InRange(lead, 0xf0, 0xf4)) {
    length = 4;
    if (lead == 0xf0) lo = 0x90;  // overlong
    if (lead == 0xf4) hi = 0x8f;  // past U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < length || !InRange(byte(1), lo, hi)) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (!InRange(byte(i), 0x80, 0xbf)) return 0;
  }
  return length;
}

// Optimal string alignment distance: Levenshtein plus adjacent swaps, the
// usual typing slips. Inputs are short keys, so the quadratic table is fine.
size_t TypoDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1,
                                     std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] =
          std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// Names other tools use for the same idea; edit distance cannot find these.
struct Alias {
  std::string_view alias, key;
};
constexpr std::array kAliases = {
    Alias{"cmd", "command"},
    Alias{"argv", "command"},
    Alias{"exec", "command"},
    Alias{"run", "command"},
    Alias{"script", "command"},
    Alias{"func", "function"},
    Alias{"fn", "function"},
    Alias{"symbol", "function"},
    Alias{"entry", "function"},
    Alias{"entry_point", "function"},
    Alias{"arguments", "args"},
    Alias{"params", "args"},
    Alias{"parameters", "args"},
    Alias{"kwargs", "args"},
    Alias{"dir", "cwd"},
    Alias{"workdir", "cwd"},
    Alias{"work_dir", "cwd"},
    Alias{"working_dir", "cwd"},
    Alias{"directory", "cwd"},
    Alias{"chdir", "cwd"},
    Alias{"pwd", "cwd"},
    Alias{"environment", "env"},
    Alias{"environ", "env"},
    Alias{"name", "id"},
    Alias{"task_id", "id"},
    Alias{"taskid", "id"},
    Alias{"output", "stdout"},
    Alias{"out", "stdout"},
    Alias{"stdout_path", "stdout"},
    Alias{"stderr_path", "stderr"},
    Alias{"err", "stderr"},
    Alias{"error", "stderr"},
    Alias{"labels", "tags"},
    Alias{"meta", "tags"},
    Alias{"metadata", "tags"},
    // Batch-system spellings of the resource keys.
    Alias{"nnodes", "nodes"},
    Alias{"num_nodes", "nodes"},
    Alias{"node_count", "nodes"},
    Alias{"ntasks_per_node", "ranks_per_node"},
    Alias{"tasks_per_node", "ranks_per_node"},
    Alias{"procs_per_node", "ranks_per_node"},
    Alias{"ppn", "ranks_per_node"},
    Alias{"cores", "cores_per_rank"},
    Alias{"cpus", "cores_per_rank"},
    Alias{"threads", "cores_per_rank"},
    Alias{"cpus_per_task", "cores_per_rank"},
    Alias{"cores_per_task", "cores_per_rank"},
    Alias{"gpus", "gpus_per_rank"},
    Alias{"gpus_per_task", "gpus_per_rank"},
    Alias{"prio", "priority"},
    Alias{"runtime", "est_runtime"},
    Alias{"duration", "est_runtime"},
    Alias{"expected_runtime", "est_runtime"},
    Alias{"estimated_runtime", "est_runtime"},
    Alias{"mpi_args", "launcher_args"},
    Alias{"mpiexec_args", "launcher_args"},
    Alias{"srun_args", "launcher_args"},
    Alias{"launcher_flags", "launcher_args"},
    // Other tools' names for a time limit, retries and dependencies.
    Alias{"walltime", "timeout"},
    Alias{"time_limit", "timeout"},
    Alias{"timelimit", "timeout"},
    Alias{"max_time", "timeout"},
    Alias{"retry", "retries"},
    Alias{"max_retries", "retries"},
    Alias{"attempts", "retries"},
    Alias{"depends_on", "after"},
    Alias{"depends", "after"},
    Alias{"dependencies", "after"},
    Alias{"deps", "after"},
    Alias{"needs", "after"},
    Alias{"requires", "after"},
    Alias{"wait_for", "after"},
    Alias{"parents", "after"},
    Alias{"prerequisites", "after"},
};

bool IsIdentifierStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool IsCIdentifier(std::string_view text) {
  if (text.empty() || !IsIdentifierStart(text[0])) return false;
  return std::all_of(text.begin() + 1, text.end(), [](char c) {
    return IsIdentifierStart(c) || (c >= '0' && c <= '9');
  });
}

std::string BuiltinList() {
  std::string list;
  for (std::string_view name : kBuiltinFunctions) {
    if (!list.empty()) list += ", ";
    list += "sortie:";
    list += name;
  }
  return list;
}

// Rules for a task that runs a function inside the pilot rather than a
// process: nothing may change the pilot's own process, and the pilot has one
// rank per node to run it in.
void CheckFunctionTask(const PresentKeys& keys, const TaskSpec& task,
                       std::vector<std::string>* problems) {
  if (task.ranks_per_node != 1) {
    problems->push_back(
        "a \"function\" runs once per node, in the pilot's own rank, so "
        "\"ranks_per_node\" must be 1 (got " +
        std::to_string(task.ranks_per_node) + ")");
  }
  if (keys.launcher_args) {
    problems->push_back(
        "\"launcher_args\" is not allowed with \"function\": a function is "
        "not started by an MPI launcher");
  }
  // A function cannot be killed without killing the pilot rank it runs
  // in, so a timeout could never be enforced: refused rather than ignored.
  if (keys.timeout) {
    problems->push_back(
        "\"timeout\" is not allowed with \"function\": a function runs "
        "inside the pilot, which cannot stop it without ending the run");
  }
  auto forbid = [&](bool present, std::string_view key) {
    if (!present) return;
    problems->push_back("\"" + std::string(key) +
                        "\" is not allowed with \"function\": it would "
                        "change the pilot process the function runs in");
  };
  forbid(keys.cwd, "cwd");
  forbid(keys.env, "env");
}

}  // namespace

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

std::string Quote(std::string_view text) {
  std::string quoted;
  if (text.size() <= kQuoteLimit) {
    AppendJsonString(text, &quoted);
    return quoted;
  }
  size_t cut = kQuoteLimit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) {
    --cut;  // do not split a UTF-8 sequence
  }
  AppendJsonString(text.substr(0, cut), &quoted);
  quoted += "... (" + std::to_string(text.size()) + " bytes)";
  return quoted;
}

size_t FindInvalidUtf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t length = ValidSequenceLength(text.substr(pos));
    if (length == 0) return pos;
    pos += length;
  }
  return std::string_view::npos;
}

std::string DescribeInvalidUtf8(std::string_view line) {
  size_t pos = FindInvalidUtf8(line);
  if (pos == std::string_view::npos) return "invalid UTF-8";
  return "invalid UTF-8 at column " + std::to_string(pos + 1) + " (byte " +
         HexByte(static_cast<unsigned char>(line[pos])) + ")";
}

std::string DescribeBadBytes(std::string_view line) {
  const size_t nul = line.find('\0');
  // Bytes cut off by the NUL are checked too: "\xc3\0" is a cut character.
  if (nul == std::string_view::npos ||
      FindInvalidUtf8(line.substr(0, nul)) != std::string_view::npos) {
    return DescribeInvalidUtf8(line);
  }
  return "a NUL byte at column " + std::to_string(nul + 1) +
         "; a manifest is text and must not contain NUL bytes";
}

size_t FindControlChar(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) return i;
  }
  return std::string_view::npos;
}

std::string DescribeControlChar(char c) {
  if (c == '\0') return "a NUL character";
  std::string code = HexByte(static_cast<unsigned char>(c));
  return "a control character (\\u00" + code.substr(2) + ")";
}

std::string_view SuggestKey(std::string_view key,
                            std::span<const std::string_view> known) {
  if (key.size() > 32) return {};
  std::string lower(key);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  for (const Alias& alias : kAliases) {
    if (lower == alias.alias) return alias.key;
  }
  std::string_view best;
  size_t best_distance = 3;
  for (std::string_view candidate : known) {
    // Short keys allow one slip; otherwise "x" would suggest "id".
    size_t allowed = std::min<size_t>(2, candidate.size() / 2);
    size_t distance = TypoDistance(lower, candidate);
    if (distance <= allowed && distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::string CheckFunctionName(std::string_view name) {
  if (name.empty()) return "\"function\" is empty";
  constexpr std::string_view kBuiltinPrefix = "sortie:";
  if (name.substr(0, kBuiltinPrefix.size()) == kBuiltinPrefix) {
    std::string_view builtin = name.substr(kBuiltinPrefix.size());
    if (std::find(kBuiltinFunctions.begin(), kBuiltinFunctions.end(),
                  builtin) != kBuiltinFunctions.end()) {
      return {};
    }
    return "\"function\" " + Quote(name) +
           " is not a built-in function (the built-ins are " + BuiltinList() +
           ")";
  }
  const size_t colon = name.rfind(':');
  if (colon == std::string_view::npos) {
    return "\"function\" " + Quote(name) +
           " must be \"path/to/lib.so:symbol\" or \"sortie:NAME\"";
  }
  if (colon == 0) {
    return "\"function\" " + Quote(name) +
           " has no library path before the ':'";
  }
  if (name.find('\0') != std::string_view::npos) {
    return "\"function\" contains a NUL character";
  }
  std::string_view symbol = name.substr(colon + 1);
  if (!IsCIdentifier(symbol)) {
    return "\"function\" " + Quote(name) +
           " must end in a C identifier after the last ':' (got " +
           Quote(symbol) + ")";
  }
  return {};
}

void CheckKeyCombination(const PresentKeys& keys, const TaskSpec& task,
                         std::vector<std::string>* problems) {
  if (keys.command && keys.function) {
    problems->push_back("the task has both \"command\" and \"function\"");
  } else if (!keys.command && !keys.function) {
    problems->push_back("the task needs \"command\" or \"function\"");
  } else if (keys.function) {
    CheckFunctionTask(keys, task, problems);
  } else if (keys.args) {
    problems->push_back(
        "\"args\" is only for \"function\" tasks (a command's arguments "
        "go in \"command\")");
  }
  const int64_t ranks = int64_t{task.nodes} * task.ranks_per_node;
  if (ranks > INT32_MAX) {
    problems->push_back(
        "\"nodes\" x \"ranks_per_node\" = " + std::to_string(ranks) +
        " ranks; the limit is " + std::to_string(INT32_MAX));
  }
  const int64_t cores = int64_t{task.ranks_per_node} * task.cores_per_rank;
  if (cores > kMaxCoresPerNode) {
    problems->push_back(
        "\"ranks_per_node\" x \"cores_per_rank\" = " + std::to_string(cores) +
        " cores per node; the limit is " + std::to_string(kMaxCoresPerNode));
  }
}

LineShape ScanShape(std::string_view line) {
  LineShape shape;
  size_t i = 0;
  while (i < line.size() && IsSpace(line[i])) ++i;
  if (i == line.size() || (line[i] != '{' && line[i] != '[')) return shape;
  size_t depth = 0;
  bool in_string = false;
  for (; i < line.size(); ++i) {
    char c = line[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // skip the escaped character, which may be a quote
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      shape.deepest = std::max(shape.deepest, ++depth);
    } else if ((c == '}' || c == ']') && --depth == 0) {
      shape.value_end = i + 1;
      return shape;
    }
  }
  shape.open_string = in_string;
  shape.open_bracket = !in_string;
  return shape;
}

}  // namespace sortie::manifest_internal
