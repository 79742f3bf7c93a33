// The journal: an append-only file beside RUN.h5 that records every state
// change of a run. It, not run.h5, is the source of truth after a crash.
// The byte format is documented in docs/journal.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/task.h"
#include "master/allocation.h"
#include "master/journal_flusher.h"

namespace sortie {

/// Kind of a journal record. Values are on disk: append only.
enum class JournalRecordType : uint8_t {
  kRunStarted = 1,
  kTaskStarted = 2,
  kTaskEnded = 3,
  kRunFinished = 4,
  kRunResumed = 5,
  kTaskResults = 6,
  kAllocationNodes = 7,
  kTaskNodes = 8,
};

/// One journal record. Which fields mean something depends on `type`:
/// kRunStarted: text (manifest path), sha256, count (tasks), rank (world size),
///              time (started_at);
/// kTaskStarted: row, attempt, rank, text (host), time (start_time),
///               count (the task spec's hash, to notice edits on resume);
/// kTaskEnded: row, attempt, state, exit_code, signal, time (end_time),
///             rank, text (why: a SKIPPED task's reason, a launch error),
///             stdout_tail, stderr_tail;
/// kRunFinished: time (finished_at), exit_code (the run's exit status);
/// kRunResumed: time, rank (world size), sha256 (the manifest's digest now);
/// kTaskResults: row, attempt, results (what the attempt reported; written
///               just before its kTaskEnded, and only when non-empty);
/// kAllocationNodes: nodes (rank, host, cores, gpus of each node of the
///               allocation; written just after kRunStarted/kRunResumed);
/// kTaskNodes: row, attempt, ranks (the ranks serving a multi-node attempt's
///               nodes, leader first; written just before its kTaskStarted).
struct JournalRecord {
  JournalRecordType type = JournalRecordType::kRunStarted;
  uint32_t row = 0;
  int32_t attempt = 0;
  int32_t rank = -1;
  TaskState state = TaskState::kPending;
  int32_t exit_code = -1;
  int32_t signal = 0;
  uint64_t count = 0;
  double time = 0.0;
  std::string text;
  std::string sha256;
  std::string stdout_tail;
  std::string stderr_tail;
  std::vector<ResultValue> results;
  std::vector<int32_t> ranks;
  /// Each node's `allocation` is not journaled (decoded as 0).
  std::vector<NodeRecord> nodes;

  /// True when every field is equal (doubles compare with ==, so a record
  /// whose time is NaN never equals anything). Decoding fills the fields a
  /// type does not encode with the defaults above, so a record round-trips to
  /// an equal one exactly when its unused fields hold those defaults.
  bool operator==(const JournalRecord& other) const;
};

/// Where the master's state changes go. Appends are buffered; Flush makes
/// everything appended so far durable (or throws).
class JournalSink {
 public:
  virtual ~JournalSink() = default;
  /// Queues one record; may write (never sync) when the buffer is large.
  virtual void Append(const JournalRecord& record) = 0;
  /// Writes and fdatasyncs every queued record.
  virtual void Flush() = 0;
  /// Starts what Flush does without waiting for it: the records become
  /// durable soon, and Pending() counts them until they are.
  virtual void FlushSoon() { Flush(); }
  /// Records queued and not yet known to be durable.
  virtual size_t Pending() const = 0;
};

/// The on-disk journal. Appends are buffered in memory and handed, in ~1 MiB
/// blocks, to a thread that writes them without syncing; Flush makes them
/// durable and FlushSoon asks that thread to. After any write or sync error
/// the writer is broken: every later Append and Flush throws, because what
/// reached the disk is then unknown.
class JournalWriter : public JournalSink {
 public:
  /// Creates `path` for a new run (truncating any old file), writes the file
  /// header and syncs the file and its directory, so the journal itself
  /// survives a crash. Throws std::runtime_error naming the path on failure.
  explicit JournalWriter(const std::string& path);
  /// Reopens the existing journal at `path` to append after its last byte;
  /// for resume, after TruncateJournal has cut any torn tail. A journal of
  /// an older format version this build reads is marked (and synced as) the
  /// current version first. Throws std::runtime_error naming the path when
  /// the file is missing, unreadable or has no journal header this build
  /// reads.
  static std::unique_ptr<JournalWriter> OpenForAppend(const std::string& path);
  /// Flushes best-effort (never throws) and closes. Call Flush first to learn
  /// whether the last records were made durable.
  ~JournalWriter() override;
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  /// Queues one record; hands the buffer to the writing thread when it
  /// passes ~1 MiB. Throws std::length_error for a record over the payload
  /// cap, std::runtime_error when the writer is broken.
  void Append(const JournalRecord& record) override;
  /// Writes every queued record and fdatasyncs; on return they survive a
  /// crash. Throws std::runtime_error naming the path on failure.
  void Flush() override;
  /// Hands every queued record to the writing thread to write and
  /// fdatasync, and returns at once. Throws std::runtime_error when the
  /// writer is broken (an earlier write or sync failed).
  void FlushSoon() override;
  /// Records appended and not yet fdatasynced.
  size_t Pending() const override;

 private:
  enum class Mode { kCreate, kAppend };
  JournalWriter(const std::string& path, Mode mode);
  void Create();
  void Reopen();
  void MarkCurrentVersion();
  void HandForSync();
  void CheckUsable();
  [[noreturn]] void Fail(const char* what, int err);

  std::string path_;
  int fd_ = -1;
  std::string buffer_;
  uint64_t appended_ = 0;    ///< records appended so far
  uint64_t sync_asked_ = 0;  ///< appended_ at the latest sync asked for
  bool broken_ = false;      ///< a write or sync failed; refuse further use
  std::unique_ptr<journal_internal::JournalFlusher> flusher_;
};

/// What a replay found.
struct ReplayResult {
  uint64_t records = 0;      ///< complete, CRC-valid records delivered
  uint64_t valid_bytes = 0;  ///< file offset just past the last good record
  bool torn_tail = false;    ///< bytes after valid_bytes could not be read
  /// Non-empty when the file could not be opened or read, or is not a journal
  /// this build reads (bad magic, a format version it does not read,
  /// missing or partial header, empty file).
  std::string error;
  /// Why replay stopped before the end of the file when torn_tail is set
  /// ("incomplete frame", "CRC mismatch", ...); for log messages only.
  std::string stop_reason;
};

/// True when the journal at `path` has recorded nothing yet: an empty file
/// (a starting run's lock creates it before the header) or a header alone.
/// False when it is missing, unreadable or holds records.
bool JournalHoldsNoRecords(const std::string& path);

/// Reads the journal at `path`, calling `visit` for each good record in order,
/// and stops at the first torn or corrupt record (a crash mid-write): an
/// incomplete frame, a CRC mismatch or a payload that does not decode. Never
/// throws on bad bytes; exceptions from `visit` propagate. `visit` may be
/// empty to only validate and count.
ReplayResult ReplayJournal(
    const std::string& path,
    const std::function<void(const JournalRecord&)>& visit);

/// Cuts the journal at `path` to its first `valid_bytes` bytes (a replay's
/// valid_bytes) and syncs, so a resumed run appends after the last good
/// record. Refuses to cut into the header or to grow the file. Returns false
/// with `*error` set (naming the path) on failure.
bool TruncateJournal(const std::string& path, uint64_t valid_bytes,
                     std::string* error);

/// Encodes one record as its on-disk frame (length, CRC, payload). Throws
/// std::length_error when the payload would exceed the format's cap.
std::string EncodeJournalRecord(const JournalRecord& record);

/// The journal's file name for a run whose output is `run_h5_path`: that path
/// with ".journal" appended ("dir/run.h5" -> "dir/run.h5.journal").
std::string JournalPathFor(const std::string& run_h5_path);

}  // namespace sortie
