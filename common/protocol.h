// The master/worker wire protocol: every message the ranks exchange.
//
// Transport: MPI point-to-point on the pilot's duplicate of MPI_COMM_WORLD.
// The MPI tag is the MessageTag; the payload is the message struct in a
// Boost.Serialization binary archive (no archive header), walked by
// FlatArchive (common/flat_archive.h): fields in serialize() order, numbers
// and strings as the archive writes them, containers as a uint64 count and
// their elements. The pilot writes and reads these bytes with FlatWriter and
// FlatReader, which produce and accept exactly what Boost's archive does
// (tests/unit/protocol_test.cc compares them) at a fraction of the cost per
// field. Rank 0 is the master; every other rank is a worker.
//
// Conversation:
//   worker -> master  kHello     once, first; carries kProtocolVersion and
//                                the node the rank offers (host, CPU ids,
//                                GPU ids). The master assigns nothing until
//                                every rank has said hello, and shuts down
//                                a worker whose version differs.
//   master -> worker  kAssign    tasks to run now (a batch; the master has
//                                reserved their cores and GPUs on the
//                                worker's node). A multi-node command goes
//                                to its leader only, which starts it with
//                                the MPI launcher; a function task goes to
//                                every rank of its group. A follower
//                                (`follows`) waits on the worker for its
//                                predecessor; the worker reports ends in
//                                the order they happen, so the master sees
//                                a predecessor end before its follower.
//   worker -> master  kStarted   tasks whose processes started (batch).
//   worker -> master  kFinished  attempts that ended, successfully or not
//                                (batch). A task that could not even start
//                                is reported here too, never as an error,
//                                with the launch error as its `reason`.
//                                Each rank of a function task reports its
//                                own part.
//   master -> worker  kDrain     the run is ending early (walltime, signal):
//                                interrupt every running task (SIGTERM,
//                                then SIGKILL after the grace) and report
//                                it INTERRUPTED; tasks assigned later end
//                                INTERRUPTED without starting. A worker
//                                that gets SIGTERM/SIGINT/SIGUSR1 itself
//                                drains the same way.
//   master -> worker  kShutdown  stop: the worker exits with exit_code once
//                                its own sends have completed.
//
// Version history:
//   1: first version (Hello, Assign, Started, Finished, Shutdown).
//   2: Hello carries the node (CPU and GPU ids); Assign carries the task's
//      cores, GPUs and group (ranks, hosts, CPUs of every node).
//   3: Drain; TaskSpec carries timeout, retries, after; TaskResult carries
//      the end cause and the output tails.
//   4: Assignment.follows: a task queued on the worker behind another one,
//      started on the same cores the moment that one ends. TaskSpec carries
//      result_path and result_patterns; TaskResult carries the attempt's
//      results. Messages are written through FlatArchive, without Boost's
//      per-object class information.
//   5: TaskResult carries `reason`, the launch error of an attempt that could
//      not start (a missing cwd, program or function library), so it reaches
//      /tasks/reason and not only the task's stderr file.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/task.h"

namespace sortie {

class FlatReader;
class FlatWriter;

/// Bumped whenever a message's meaning or layout changes.
inline constexpr uint32_t kProtocolVersion = 5;

/// MPI tags of the protocol's messages. Values are on the wire: append only.
enum class MessageTag : int {
  kHello = 1,
  kAssign = 2,
  kStarted = 3,
  kFinished = 4,
  kShutdown = 5,
  kDrain = 6,
};

/// Name of a tag for messages and logs ("Hello", ...; "tag N" if unknown).
std::string TagName(int tag);

/// worker -> master, first message: who the worker is and the node it
/// offers (core index i is logical CPU cpu_ids[i]).
struct HelloMsg {
  uint32_t protocol_version = kProtocolVersion;
  int32_t rank = -1;
  std::string host;
  int64_t pid = 0;
  std::vector<int32_t> cpu_ids;
  std::vector<int32_t> gpu_ids;

  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar& protocol_version& rank& host& pid& cpu_ids& gpu_ids;
  }
};

/// The nodes a task runs on, leader first: their ranks, hosts and the
/// logical CPUs and GPU ids the task holds on each.
struct TaskGroup {
  std::vector<int32_t> ranks;
  std::vector<std::string> hosts;
  std::vector<std::vector<int32_t>> cpus;
  std::vector<std::vector<int32_t>> gpus;

  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar& ranks& hosts& cpus& gpus;
  }
};

/// One task handed to a worker: the task's row, which attempt (1-based), its
/// spec, and where it runs. `member` is the receiving rank's index in the
/// group (0: the leader). `follows` >= 0: start only when the task of that
/// row, running or queued on this worker, has ended (at once if it is not
/// there any more), on the same cores and GPUs.
struct Assignment {
  uint32_t row = 0;
  int32_t attempt = 1;
  TaskSpec spec;
  TaskGroup group;
  int32_t member = 0;
  int64_t follows = -1;

  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar& row& attempt& spec& group& member& follows;
  }
};

/// master -> worker: run these now.
struct AssignMsg {
  std::vector<Assignment> tasks;

  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar& tasks;
  }
};

/// A task's process started at `start_time` (epoch seconds).
struct StartNotice {
  uint32_t row = 0;
  int32_t attempt = 1;
  double start_time = kNoTime;

  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar& row& attempt& start_time;
  }
};

/// worker -> master: these tasks started.
struct StartedMsg {
  std::vector<StartNotice> tasks;

  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar& tasks;
  }
};

/// worker -> master: these attempts ended.
struct FinishedMsg {
  std::vector<TaskResult> results;

  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar& results;
  }
};

/// master -> worker: stop and exit with `exit_code`; `reason` is printed by
/// the worker when non-empty (e.g. a protocol version mismatch).
struct ShutdownMsg {
  int32_t exit_code = 0;
  std::string reason;

  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar& exit_code& reason;
  }
};

/// master -> worker: interrupt running tasks and start no more.
struct DrainMsg {
  template <class Archive>
  void serialize(Archive& /*ar*/, unsigned /*version*/) {}
};

/// Builds an AssignMsg's bytes one assignment at a time from parts the
/// caller keeps, so no Assignment (a copy of a spec and of a group) is made
/// for each task sent: Take() returns exactly what Encode(AssignMsg) gives
/// for the same assignments.
class AssignEncoder {
 public:
  AssignEncoder();
  ~AssignEncoder();
  AssignEncoder(const AssignEncoder&) = delete;  // the writer points here
  AssignEncoder& operator=(const AssignEncoder&) = delete;
  /// Appends one assignment, fields as in Assignment.
  void Add(uint32_t row, int32_t attempt, const TaskSpec& spec,
           const TaskGroup& group, int32_t member, int64_t follows);
  /// Appends `assignment`.
  void Add(const Assignment& assignment);
  /// Assignments added since construction or the last Take().
  uint64_t count() const { return count_; }
  /// The AssignMsg's bytes; the encoder is empty again afterwards.
  std::string Take();

 private:
  std::string bytes_;  // a count placeholder, then the assignments
  std::unique_ptr<FlatWriter> writer_;  // one for all: it grows bytes_ ahead
  uint64_t count_ = 0;
};

/// Reads an AssignMsg's bytes one assignment at a time into an Assignment
/// the caller keeps, so a batch of thousands makes no vector of them and
/// each task reuses the strings and vectors of the one before: the
/// assignments are those Decode<AssignMsg> gives, in order.
class AssignDecoder {
 public:
  /// Throws ProtocolError when `bytes` cannot hold the count they start
  /// with. The bytes must outlive the decoder.
  explicit AssignDecoder(std::string_view bytes);
  ~AssignDecoder();
  AssignDecoder(const AssignDecoder&) = delete;
  AssignDecoder& operator=(const AssignDecoder&) = delete;
  /// Overwrites `out` with the next assignment; false (and `out` unchanged)
  /// when every one has been read. Throws ProtocolError on garbage.
  bool Next(Assignment* out);

 private:
  std::unique_ptr<FlatReader> reader_;
  uint64_t left_ = 0;
};

/// A message's bytes could not be decoded.
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Serializes a message struct to its wire bytes.
template <class Msg>
std::string Encode(const Msg& msg);

/// Decodes wire bytes into a message struct; throws ProtocolError on garbage.
template <class Msg>
Msg Decode(std::string_view bytes);

/// Decodes wire bytes into `*msg`, reusing what it holds: a vector keeps its
/// elements, and their strings their capacity, for the next message of the
/// kind (a receive loop then allocates nothing per message). Throws
/// ProtocolError on garbage, leaving `*msg` unspecified but valid.
template <class Msg>
void DecodeInto(std::string_view bytes, Msg* msg);

}  // namespace sortie

// As for TaskSpec (common/task.h): no per-object class info or tracking.
#define SORTIE_PLAIN_MESSAGE(T)                                            \
  BOOST_CLASS_IMPLEMENTATION(T, boost::serialization::object_serializable) \
  BOOST_CLASS_TRACKING(T, boost::serialization::track_never)
SORTIE_PLAIN_MESSAGE(sortie::HelloMsg)
SORTIE_PLAIN_MESSAGE(sortie::TaskGroup)
SORTIE_PLAIN_MESSAGE(sortie::Assignment)
SORTIE_PLAIN_MESSAGE(sortie::AssignMsg)
SORTIE_PLAIN_MESSAGE(sortie::StartNotice)
SORTIE_PLAIN_MESSAGE(sortie::StartedMsg)
SORTIE_PLAIN_MESSAGE(sortie::FinishedMsg)
SORTIE_PLAIN_MESSAGE(sortie::ShutdownMsg)
SORTIE_PLAIN_MESSAGE(sortie::DrainMsg)
#undef SORTIE_PLAIN_MESSAGE
