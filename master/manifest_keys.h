// The keys of one manifest task object and the reader that turns their
// values into a TaskSpec. Internal to the manifest reader: the walk over an
// object's keys is in manifest_json.cc, the per-key readers in
// manifest_keys.cc (the reader of `after` in manifest_graph.cc).
#pragma once

#include <simdjson.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/task.h"
#include "master/manifest_graph.h"

namespace sortie::manifest_internal {

/// The keys a task object may have, in the order of `kKeys`.
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
  kTimeout,
  kRetries,
  kAfter,
  kResults,
};

/// Each key as a manifest spells it, indexed by `Key`; messages list them in
/// this order.
// clang-format off
inline constexpr std::array<std::string_view, 20> kKeys = {
    "id", "command", "function", "args", "cwd", "env", "stdout", "stderr",
    "tags", "nodes", "ranks_per_node", "cores_per_rank", "gpus_per_rank",
    "priority", "est_runtime", "launcher_args", "timeout", "retries",
    "after", "results"};
// clang-format on

/// The allowed values of an integer key (defined in manifest_keys.cc).
struct IntRange;

/// The kind of `value` for a message: "an array", "a number", "null"...
std::string_view TypeName(simdjson::dom::element value);

/// Reads the fields of one task object, collecting problems as it goes. One
/// reader per object.
class TaskReader {
 public:
  /// Appends messages to `problems`; `keys` and `builder` are scratch space
  /// kept across lines; the ids of `after` lists go to `after_names`. All
  /// four must outlive the reader.
  TaskReader(std::vector<std::string>* problems,
             std::vector<std::string_view>* keys,
             simdjson::internal::string_builder<>* builder,
             NamePool* after_names)
      : problems_(problems),
        keys_(keys),
        builder_(builder),
        after_names_(after_names) {}

  /// Fills `task` from the keys of `fields`, skipping bad values (a field
  /// may be left partly filled when only some of its elements are bad).
  /// Appends one message per unknown or repeated key, bad value and broken
  /// rule between keys. Reads only the first of repeated keys.
  void Read(simdjson::dom::object fields, TaskSpec* task);
  /// Whether Read met an "id" key, valid or not.
  bool saw_id() const { return saw_id_; }

 private:
  /// Appends `message` to the problems.
  void Problem(std::string message) {
    problems_->push_back(std::move(message));
  }
  /// Passes `value` to the reader of `key`.
  void ReadField(Key key, simdjson::dom::element value, TaskSpec* task);
  /// "id": a non-empty string without control characters.
  void ReadId(simdjson::dom::element value, TaskSpec* task);
  /// "command": a shell string, or an argv array (see ReadArgv).
  void ReadCommand(simdjson::dom::element value, TaskSpec* task);
  /// "command" as an array: a non-empty array of strings without NULs, the
  /// first not blank.
  void ReadArgv(simdjson::dom::array items, TaskSpec* task);
  /// A path key called `name`: a non-empty string without NULs, to `out`.
  void ReadPath(std::string_view name, simdjson::dom::element value,
                std::string* out);
  /// "env": an object of strings without NULs; names not empty and without
  /// '=' or NUL. Repeated names are reported.
  void ReadEnv(simdjson::dom::element value, TaskSpec* task);
  /// "tags": any object, kept as compact JSON. Repeated keys at any depth
  /// are reported.
  void ReadTags(simdjson::dom::element value, TaskSpec* task);
  /// "function": a name CheckFunctionName accepts.
  void ReadFunction(simdjson::dom::element value, TaskSpec* task);
  /// "args": any JSON value, kept as compact JSON and for CheckSleepArgs.
  /// Repeated keys at any depth are reported.
  void ReadArgs(simdjson::dom::element value, TaskSpec* task);
  /// An integer key: a JSON integer within `range`, to `out`.
  void ReadInt(simdjson::dom::element value, const IntRange& range,
               int32_t* out);
  /// "est_runtime": a number of seconds > 0 and at most kMaxEstRuntime.
  void ReadEstRuntime(simdjson::dom::element value, TaskSpec* task);
  /// "launcher_args": an array of non-empty strings without NULs.
  void ReadLauncherArgs(simdjson::dom::element value, TaskSpec* task);
  /// "timeout": a finite number of seconds > 0 and at most kMaxTimeout.
  void ReadTimeout(simdjson::dom::element value, TaskSpec* task);
  /// "after": an array of distinct, non-empty task ids. Stores each id in
  /// the name pool and its index in `task->after`, for ResolveAfter.
  void ReadAfter(simdjson::dom::element value, TaskSpec* task);
  /// "results": an object of key -> regex with one capture group
  /// (manifest_results.cc).
  void ReadResults(simdjson::dom::element value, TaskSpec* task);
  /// Reports each id that `keys_` (the ids of one `after`) holds twice.
  void CheckRepeatedAfterIds();
  /// The args of "sortie:sleep": exactly {"seconds": N} with N >= 0 and at
  /// most kMaxSleepSeconds; `has_args` says whether the object had an "args"
  /// key.
  void CheckSleepArgs(bool has_args);
  /// Reports keys repeated within any one object under `value`, naming the
  /// top-level key `where` they are under.
  void CheckDuplicateKeys(std::string_view where, simdjson::dom::element value);

  std::vector<std::string>* problems_;
  std::vector<std::string_view>* keys_;
  simdjson::internal::string_builder<>* builder_;
  NamePool* after_names_;
  bool saw_id_ = false;
  simdjson::dom::element args_;  // valid while the line's document is
};

}  // namespace sortie::manifest_internal
