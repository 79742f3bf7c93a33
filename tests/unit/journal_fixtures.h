// Shared by the journal tests: record builders, the sample records with
// awkward values, a reproducible record stream, raw frames, a replay that
// keeps what it read, and a fixture with a fresh directory per test.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "common/crc32c.h"
#include "master/journal.h"
#include "master/journal_format.h"
#include "test_dir.h"

namespace sortie {

/// A kRunStarted record: manifest path, its digest, task count, world size.
inline JournalRecord RunStarted(std::string manifest, std::string sha,
                                uint64_t count, int32_t ranks, double time) {
  JournalRecord r;
  r.type = JournalRecordType::kRunStarted;
  r.text = std::move(manifest);
  r.sha256 = std::move(sha);
  r.count = count;
  r.rank = ranks;
  r.time = time;
  return r;
}

/// A kTaskStarted record; `spec_hash` goes in `count`.
inline JournalRecord TaskStarted(uint32_t row, int32_t attempt, int32_t rank,
                                 std::string host, double time,
                                 uint64_t spec_hash = 0) {
  JournalRecord r;
  r.type = JournalRecordType::kTaskStarted;
  r.row = row;
  r.attempt = attempt;
  r.rank = rank;
  r.text = std::move(host);
  r.time = time;
  r.count = spec_hash;
  return r;
}

/// A kTaskEnded record with only the version-1 fields set.
inline JournalRecord TaskEnded(uint32_t row, int32_t attempt, TaskState state,
                               int32_t exit_code, int32_t signal, double time) {
  JournalRecord r;
  r.type = JournalRecordType::kTaskEnded;
  r.row = row;
  r.attempt = attempt;
  r.state = state;
  r.exit_code = exit_code;
  r.signal = signal;
  r.time = time;
  return r;
}

/// `r` with the TaskEnded fields version 2 added: who ran it, why, and the
/// output.
inline JournalRecord Detailed(JournalRecord r, int32_t rank, std::string reason,
                              std::string stdout_tail,
                              std::string stderr_tail) {
  r.rank = rank;
  r.text = std::move(reason);
  r.stdout_tail = std::move(stdout_tail);
  r.stderr_tail = std::move(stderr_tail);
  return r;
}

/// A kTaskResults record.
inline JournalRecord TaskResults(uint32_t row, int32_t attempt,
                                 std::vector<ResultValue> results) {
  JournalRecord r;
  r.type = JournalRecordType::kTaskResults;
  r.row = row;
  r.attempt = attempt;
  r.results = std::move(results);
  return r;
}

/// A kRunFinished record.
inline JournalRecord RunFinished(double time, int32_t exit_code) {
  JournalRecord r;
  r.type = JournalRecordType::kRunFinished;
  r.time = time;
  r.exit_code = exit_code;
  return r;
}

/// A kRunResumed record: world size now and the manifest's digest now.
inline JournalRecord RunResumed(double time, int32_t ranks, std::string sha) {
  JournalRecord r;
  r.type = JournalRecordType::kRunResumed;
  r.time = time;
  r.rank = ranks;
  r.sha256 = std::move(sha);
  return r;
}

/// A kAllocationNodes record.
inline JournalRecord AllocationNodes(std::vector<NodeRecord> nodes) {
  JournalRecord r;
  r.type = JournalRecordType::kAllocationNodes;
  r.nodes = std::move(nodes);
  return r;
}

/// A kTaskNodes record: the ranks serving a multi-node attempt's nodes.
inline JournalRecord TaskNodes(uint32_t row, int32_t attempt,
                               std::vector<int32_t> ranks) {
  JournalRecord r;
  r.type = JournalRecordType::kTaskNodes;
  r.row = row;
  r.attempt = attempt;
  r.ranks = std::move(ranks);
  return r;
}

/// `size` bytes of output as tasks leave it: a NUL, bytes that are not UTF-8,
/// and a three-byte character cut after its second byte (the tail starts
/// mid-file).
inline std::string AwkwardTail(size_t size) {
  std::string tail = "\xe2\x9c ok\n";
  tail += std::string("nul:\0:", 6) + "bad:\xff\xfe\xc3(:✓\n";
  while (tail.size() < size)
    tail += "line " + std::to_string(tail.size()) + "\n";
  tail.resize(size);
  return tail;
}

/// One of each type and state, with the awkward values: UTF-8, bytes that
/// are not UTF-8, NULs, empty strings, extremes. The middle record (index
/// 10, which the bit-flip test corrupts) is a TaskEnded using every field.
inline std::vector<JournalRecord> SampleRecords() {
  const double kMax = std::numeric_limits<double>::max();
  const double kTiny = std::numeric_limits<double>::denorm_min();
  const uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();
  const int32_t kMinI32 = std::numeric_limits<int32_t>::min();
  return {
      RunStarted("/données/manifest ✓ 任务.jsonl", std::string(64, 'a'),
                 1'000'000, 128, 1.7e9 + 0.25),
      RunStarted("", "", kMaxU64, kMinI32, kMax),
      AllocationNodes({{0, "nœud-01.cluster", 64, 4},
                       {kMinI32, "", std::numeric_limits<int32_t>::max(), 0},
                       {7, std::string("a\0b", 3), 0, -1}}),
      AllocationNodes({}),
      TaskStarted(0, 1, 1, "nœud-01.cluster", 1.7e9, 0x0123456789abcdefu),
      TaskStarted(std::numeric_limits<uint32_t>::max(),
                  std::numeric_limits<int32_t>::max(), -1, "", kTiny, kMaxU64),
      Detailed(TaskEnded(7, 2, TaskState::kDone, 0, 0, 1.7e9 + 3.5), 3, "",
               "result: ✓\n", ""),
      TaskEnded(9, 0, TaskState::kRunning, 255, 0,
                std::numeric_limits<double>::infinity()),
      TaskEnded(10, 0, TaskState::kPending, -2147483647, 64, 0.0),
      Detailed(TaskEnded(11, 1, TaskState::kTimeout, -1, 15, 1.7e9 + 60), 4, "",
               "", "Terminated\n"),
      Detailed(TaskEnded(8, 1, TaskState::kFailed, -1, 9, -1.5), 12,
               "exec: /bin/nope: No such file", AwkwardTail(40),
               AwkwardTail(33)),
      Detailed(TaskEnded(12, 0, TaskState::kSkipped, -1, 0, 1.7e9 + 61),
               kMinI32, "after 'prep-ü' which ended FAILED", "", ""),
      Detailed(TaskEnded(13, 3, TaskState::kInterrupted, -1, 15, 1.7e9 + 62),
               1023, "drain: walltime", "partial", std::string("\0", 1)),
      RunFinished(1.7e9 + 99.0, 3),
      RunFinished(-0.0, 0),
      RunResumed(1.7e9 + 120.0, 64, std::string(64, 'b')),
      RunResumed(-kTiny, kMinI32, ""),
      TaskResults(7, 2,
                  {{"time", 0.52, "0.52"},
                   {"label ✓", kNoTime, std::string("a\0b", 3)},
                   {"", -0.0, ""}}),
      TaskResults(0, 0, {}),
      TaskNodes(5, 2, {3, 1, kMinI32}),
      TaskNodes(std::numeric_limits<uint32_t>::max(), 0, {}),
  };
}

/// Record `i` of a long, varied, reproducible stream for ordering tests.
/// Records with tails come before ones without, so replay must clear what it
/// reuses.
inline JournalRecord MakeRecord(uint64_t i) {
  const auto row = static_cast<uint32_t>(i);
  const auto t = static_cast<double>(i) * 0.5;
  const auto rank = static_cast<int32_t>(i % 97);
  switch (i % 6) {
    case 0:
      return TaskStarted(row, 1, rank, "host-" + std::to_string(i % 13), t,
                         i * 0x9E3779B97F4A7C15u);
    case 1:
      return Detailed(TaskEnded(row, 1, TaskState::kDone, 0, 0, t), rank, "",
                      "", "");
    case 2:
      return Detailed(TaskEnded(row, 2, TaskState::kFailed, 1, 15, t), rank, "",
                      "out " + std::to_string(i), AwkwardTail(i % 50));
    case 3:
      return RunStarted("m" + std::to_string(i), "", i, 4, t);
    case 4:
      return Detailed(TaskEnded(row, 0, TaskState::kSkipped, -1, 0, t), -1,
                      "after row " + std::to_string(i - 1), "", "");
    default:
      return RunResumed(t, rank, std::to_string(i));
  }
}

/// Replaces the contents of `path` with `bytes`.
inline void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

/// What Replay read: the records visited, in order, and the verdict.
struct Replayed {
  std::vector<JournalRecord> records;
  ReplayResult result;
};

/// ReplayJournal on `path`, keeping every record it visits.
inline Replayed Replay(const std::string& path) {
  Replayed r;
  r.result = ReplayJournal(
      path, [&](const JournalRecord& rec) { r.records.push_back(rec); });
  return r;
}

/// A frame with a correct CRC around an arbitrary payload.
inline std::string RawFrame(const std::string& payload) {
  std::string frame(8, '\0');
  journal_format::Store(frame.data(), static_cast<uint32_t>(payload.size()));
  journal_format::Store(frame.data() + 4, journal_format::MaskCrc(Crc32c(
                                              payload.data(), payload.size())));
  return frame + payload;
}

/// The file bytes of a journal of `records` (header included), and where
/// each record ends: ends[k] is the offset just past k records.
struct Layout {
  std::string bytes;
  std::vector<uint64_t> ends;
};

/// The Layout of a journal holding `records`, as the writer lays it out.
inline Layout LayOut(const std::vector<JournalRecord>& records) {
  Layout layout{journal_format::EncodeHeader(), {journal_format::kHeaderSize}};
  for (const auto& r : records) {
    layout.bytes += EncodeJournalRecord(r);
    layout.ends.push_back(layout.bytes.size());
  }
  return layout;
}

/// A fresh directory per test for journal files (TestWithDir).
class JournalTest : public TestWithDir {
 protected:
  /// The path of `name` inside this test's directory.
  std::string PathFor(const std::string& name) const {
    return (dir_ / name).string();
  }
};

}  // namespace sortie
