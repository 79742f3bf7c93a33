// The task model shared by master and workers: what a task is (TaskSpec, from
// the manifest), where it stands (TaskStatus, kept by the master) and how one
// attempt ended (TaskResult, reported by whoever ran it).
#pragma once

#include <boost/serialization/level.hpp>
#include <boost/serialization/tracking.hpp>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/archive_traits.h"
#include "common/compact_text.h"

namespace sortie {

/// Lifecycle of a task. Values are stored in the journal: append only.
enum class TaskState : uint8_t {
  kPending = 0,
  kRunning = 1,
  kDone = 2,
  kFailed = 3,
  kTimeout = 4,  ///< killed after its `timeout`
  kSkipped = 5,  ///< never ran: a task it comes `after` did not end DONE
  kInterrupted =
      6,  ///< killed by a drain (walltime, SIGTERM); reruns on resume
};

/// Number of TaskState values (for per-state tables).
inline constexpr size_t kTaskStateCount = 7;

/// Upper-case name used in run.h5 and messages ("PENDING", "DONE", ...).
std::string_view StateName(TaskState state);

/// Width of the fixed-length `state` column in run.h5; fits every state name,
/// including ones later schema versions add ("INTERRUPTED").
inline constexpr int kStateNameWidth = 12;

/// "No time yet" in time fields (NaN, as in run.h5).
inline constexpr double kNoTime = std::numeric_limits<double>::quiet_NaN();

/// True for archives that leave out TaskSpec::line (see spec_digest.h).
template <class Archive>
inline constexpr bool kArchiveSkipsLine = false;

/// Owns a T on the heap, or nothing; copies are deep. For parts of a value
/// that most instances leave empty.
template <class T>
class HeapBox {
 public:
  HeapBox() = default;
  HeapBox(const HeapBox& other) : value_(Clone(other)) {}
  HeapBox(HeapBox&&) noexcept = default;
  HeapBox& operator=(const HeapBox& other) {
    if (this != &other) value_ = Clone(other);
    return *this;
  }
  HeapBox& operator=(HeapBox&&) noexcept = default;
  ~HeapBox() = default;

  /// The value, or null when there is none.
  const T* get() const { return value_.get(); }
  T* get() { return value_.get(); }
  /// The value, made (default) on first use.
  T& GetOrMake() {
    if (!value_) value_ = std::make_unique<T>();
    return *value_;
  }
  /// Drops the value.
  void reset() { value_.reset(); }

 private:
  static std::unique_ptr<T> Clone(const HeapBox& other) {
    return other.value_ ? std::make_unique<T>(*other.value_) : nullptr;
  }
  std::unique_ptr<T> value_;
};

/// The parts of a task that few tasks set, kept out of line (see
/// TaskSpec::extras) so a million-task manifest does not carry seven empty
/// strings and vectors per task.
struct TaskExtras {
  /// Working directory (absolute after loading); empty: the pilot's own.
  std::string cwd;
  /// Added to the task's environment, in manifest order.
  std::vector<std::pair<std::string, std::string>> env;
  /// Absolute paths of the task's output files (defaults filled by the master).
  std::string stdout_path;
  std::string stderr_path;
  /// Extra arguments for the MPI launcher of this task (after the preset's).
  std::vector<std::string> launcher_args;
  /// Where the task may write `key=value` result lines (SORTIE_RESULT);
  /// filled by the master for command tasks, empty: no result file.
  std::string result_path;
  /// The manifest's `results`: key and ECMAScript regex with exactly one
  /// capture group, matched against the task's stdout, in manifest order.
  std::vector<std::pair<std::string, std::string>> result_patterns;

  /// True when every field is empty (nothing worth a heap block).
  bool empty() const {
    return cwd.empty() && env.empty() && stdout_path.empty() &&
           stderr_path.empty() && launcher_args.empty() &&
           result_path.empty() && result_patterns.empty();
  }
};

/// One task as the manifest describes it. Immutable once loaded.
struct TaskSpec {
  std::string id;
  /// shell: one element, run as `/bin/sh -c command[0]`; else argv, exec'd.
  std::vector<std::string> command;
  bool shell = false;
  /// The manifest's `tags` object as compact JSON; "{}" when absent.
  CompactText<"{}"> tags_json;
  /// 1-based line of the manifest the task came from.
  uint64_t line = 0;

  /// Resources: `nodes` nodes, each running `ranks_per_node` ranks of
  /// `cores_per_rank` cores and `gpus_per_rank` GPUs. More than one rank in
  /// all makes it an MPI task.
  int32_t nodes = 1;
  int32_t ranks_per_node = 1;
  int32_t cores_per_rank = 1;
  int32_t gpus_per_rank = 0;
  /// Higher runs first; ties go in manifest order.
  int32_t priority = 0;
  /// Further attempts after a FAILED or TIMEOUT one.
  int32_t retries = 0;
  /// Expected seconds of run time (NaN: unknown); lets small tasks backfill
  /// ahead of a reservation when they will end before it.
  double est_runtime = kNoTime;
  /// Seconds before the task is killed (SIGTERM to its process group, then
  /// SIGKILL after a grace); <= 0: no limit.
  double timeout = 0;
  /// In-process function "path/libx.so:symbol" or "sortie:NAME"; when set,
  /// `command` is empty and the function runs on every node of the task.
  std::string function;
  /// The function's `args` as compact JSON ("null" when absent).
  CompactText<"null"> args_json;
  /// Rows of the tasks that must end DONE before this one starts.
  std::vector<uint32_t> after;
  /// Storage of extras(); use the accessors.
  HeapBox<TaskExtras> extras_box;

  /// cwd, env, output paths, launcher arguments and result patterns: empty
  /// unless the task sets any.
  const TaskExtras& extras() const {
    static const TaskExtras kNone;
    const TaskExtras* extras = extras_box.get();
    return extras ? *extras : kNone;
  }
  /// The extras, for setting them.
  TaskExtras& mutable_extras() { return extras_box.GetOrMake(); }
  /// Frees the extras' heap block when they are all empty.
  void CompactExtras() {
    if (extras_box.get() && extras_box.get()->empty()) extras_box.reset();
  }

  /// Ranks in all.
  int32_t TotalRanks() const { return nodes * ranks_per_node; }
  /// An MPI task: more than one rank in all. (A function task always gets
  /// a communicator, even of one rank.)
  bool IsMpi() const { return TotalRanks() > 1; }

  /// The field order is the wire layout (common/protocol.h) and what the
  /// resume digest covers (common/spec_digest.h).
  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    // Read into a local first: most tasks have no extras, and then no heap
    // block is made for them.
    TaskExtras none;
    TaskExtras* x = extras_box.get() ? extras_box.get() : &none;
    ar& id& command& shell & x->cwd & x->env & x->stdout_path &
        x->stderr_path& tags_json;
    if constexpr (!kArchiveSkipsLine<Archive>) ar& line;
    ar& nodes& ranks_per_node& cores_per_rank& gpus_per_rank& priority&
            est_runtime &
        x->launcher_args& function& args_json& timeout& retries& after &
        x->result_path & x->result_patterns;
    if constexpr (IsLoadingArchive<Archive>()) {
      if (x == &none && !none.empty()) mutable_extras() = std::move(none);
      CompactExtras();
    }
  }
};

/// The command as a user would read it: the shell string, or the argv as a
/// JSON array.
std::string CommandText(const TaskSpec& spec);

/// Whether LogFileStem leaves `id` as it is: not empty, at most 200 bytes,
/// not starting with '.', without '/' or control characters.
bool IdIsItsFileStem(std::string_view id);

/// File name stem for a task's default output files: the id itself when
/// IdIsItsFileStem, else the id cut to at most 200 bytes (at a UTF-8
/// character boundary), with '/' and control characters replaced by '_', a
/// leading '.' escaped and ".ROW" appended to keep it unique. The manifest
/// reader refuses a manifest where such a stem is another task's id.
std::string LogFileStem(const std::string& id, uint32_t row);

/// The default output file of kind `suffix` (".out", ".err", ".result") of
/// command task `spec` in row `row`: "LOGS/STEM" + suffix. Derived when
/// needed rather than stored, so a million tasks do not hold three million
/// path strings; "" for a function task (it prints to the pilot's streams).
std::string DefaultOutputPath(const std::string& logs_dir, const TaskSpec& spec,
                              uint32_t row, std::string_view suffix);

/// Fills what the master gives command task `spec` in row `row`: its result
/// file in `logs_dir`, and stdout and stderr files there unless the
/// manifest names them. Function tasks are left alone.
void FillDefaultOutputs(const std::string& logs_dir, uint32_t row,
                        TaskSpec* spec);

/// One result of one attempt (a row of /results): a key, its value as a
/// number (NaN when the text is not one) and the text as the task wrote it.
struct ResultValue {
  std::string key;
  double value = kNoTime;
  std::string text;

  /// Equal keys and texts, and values that are equal or both NaN (a text
  /// result must equal its own round trip).
  bool operator==(const ResultValue& other) const {
    bool same_value =
        value == other.value || (value != value && other.value != other.value);
    return key == other.key && text == other.text && same_value;
  }

  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar& key& value& text;
  }
};

/// Why an attempt ended, besides its own exit.
enum class EndCause : uint8_t {
  kExited = 0,       ///< the process ended by itself (exit or signal)
  kTimedOut = 1,     ///< killed by sortie after its timeout
  kInterrupted = 2,  ///< killed by sortie during a drain
};

/// How one attempt of a task ended, as reported by the rank that ran it.
struct TaskResult {
  uint32_t row = 0;  ///< index of the task in manifest order
  int32_t attempt = 0;
  /// Exit status when the process exited, -1 when it was killed or never ran.
  int32_t exit_code = -1;
  /// Terminating signal, 0 when none.
  int32_t signal = 0;
  double start_time = kNoTime;
  double end_time = kNoTime;
  EndCause cause = EndCause::kExited;
  /// The last few KiB of the task's stdout and stderr files.
  std::string stdout_tail;
  std::string stderr_tail;
  /// What the attempt reported (result file and stdout patterns), one per
  /// key, in key order; empty for function tasks.
  std::vector<ResultValue> results;
  /// Why the attempt failed when its exit code cannot say: the launch error
  /// of a task that could not start (a missing cwd, program or function
  /// library), at most kReasonMaxBytes. Empty for almost every attempt.
  std::string reason;

  /// DONE exactly when the process exited by itself with status 0; TIMEOUT
  /// or INTERRUPTED when sortie killed it; FAILED otherwise.
  TaskState FinalState() const {
    if (cause == EndCause::kTimedOut) return TaskState::kTimeout;
    if (cause == EndCause::kInterrupted) return TaskState::kInterrupted;
    return exit_code == 0 && signal == 0 ? TaskState::kDone
                                         : TaskState::kFailed;
  }

  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar& row& attempt& exit_code& signal& start_time& end_time& cause&
        stdout_tail& stderr_tail& results& reason;
  }
};

/// How many bytes of each output file's end a result carries.
inline constexpr size_t kOutputTailBytes = 4096;

/// The longest `reason` a task has (in run.h5 and in messages): reasons come
/// from sortie and are short, but one long launch error must not make every
/// row of the fixed-width column that wide (docs/hdf5.md).
inline constexpr size_t kReasonMaxBytes = 256;

/// Where a task stands, as the master knows it. Small on purpose: one per task.
struct TaskStatus {
  TaskState state = TaskState::kPending;
  /// Signal numbers are below 128: 16 bits keep the struct at 40 bytes, not
  /// 48 (a million tasks: 8 MB rank 0 need not touch).
  int16_t signal = 0;
  int32_t exit_code = -1;
  int32_t attempts = 0;
  /// Attempts that ended FAILED or TIMEOUT (retries are counted on these:
  /// an interruption never uses one up).
  int32_t failures = 0;
  int32_t rank = -1;
  /// Index into the run's host table, -1 when the task never started.
  int32_t host = -1;
  double start_time = kNoTime;
  double end_time = kNoTime;
};
static_assert(sizeof(TaskStatus) <= 40, "TaskStatus is one per task");

}  // namespace sortie

// Sent by the thousand: no per-object class info or pointer tracking, which
// Boost would otherwise write and check for every task.
BOOST_CLASS_IMPLEMENTATION(sortie::TaskSpec,
                           boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(sortie::TaskSpec, boost::serialization::track_never)
BOOST_CLASS_IMPLEMENTATION(sortie::TaskResult,
                           boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(sortie::TaskResult, boost::serialization::track_never)
