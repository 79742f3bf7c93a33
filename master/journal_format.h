// The journal's byte layout, next to the code that reads and writes it. The
// prose version (with the durability contract) is docs/journal.md; keep the
// two in step. All integers are little-endian; doubles are IEEE-754 binary64
// bit patterns stored as u64.
//
// File:    header, then frames back to back until end of file.
// Header:  "SORTIEJ1" (8 bytes) | u32 version (kJournalVersion; readers
//          also take kOldestReadableVersion and up)                 12 bytes
// Frame:   u32 length | u32 masked CRC-32C of payload | payload
//          length = payload bytes, 1..kMaxPayloadSize
// Payload: u8 type, then the type's fields; str = u32 byte count + bytes
//          (no terminator, not validated as UTF-8). A payload must be
//          consumed exactly: trailing bytes make it undecodable.
//   1 kRunStarted:   str text | str sha256 | u64 count | i32 rank | f64 time
//   2 kTaskStarted:  u32 row | i32 attempt | i32 rank | str text | f64 time |
//                    u64 count                         (33 bytes + text)
//   3 kTaskEnded:    u32 row | i32 attempt | u8 state | i32 exit_code |
//                    i32 signal | f64 time | i32 rank | str text |
//                    str stdout_tail | str stderr_tail (42 bytes + strings)
//   4 kRunFinished:  f64 time | i32 exit_code                 (13 bytes)
//   5 kRunResumed:   f64 time | i32 rank | str sha256   (17 bytes + sha256)
//   6 kTaskResults:  u32 row | i32 attempt | u32 n | n x (str key | f64 value
//                    | str text)                      (13 bytes + results)
//   7 kAllocationNodes: u32 n | n x (i32 rank | str host | i32 cores |
//                    i32 gpus)                  (5 bytes + 16 a node + hosts)
//   8 kTaskNodes:    u32 row | i32 attempt | u32 n | n x i32 rank
//                                                    (13 bytes + 4 a rank)
// A TaskState byte above kLastState is undecodable.
//
// Version history: 1 had no count in TaskStarted, only the first six
// TaskEnded fields, states up to kFailed and no kRunResumed. 2 had no
// kTaskResults. 3 had the same records, but TaskStarted's count was the
// spec digest of byte-wise FNV-1a (common/spec_digest.h). 4 had no
// kAllocationNodes or kTaskNodes; it is still read (its records mean the
// same), and a version-4 journal reopened to append is marked version 5
// first. Older versions are rejected, not converted: their task spec hashes
// differ, so a resume would take every started task for an edited one.
//
// The codec is inline here (it is small) so the format lives in one place;
// master/journal.cc does the file I/O.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/crc32c.h"
#include "master/journal.h"

namespace sortie::journal_format {

/// First bytes of every journal. Format changes bump kJournalVersion, not
/// this.
inline constexpr std::string_view kMagic = "SORTIEJ1";
/// Version written after the magic.
inline constexpr uint32_t kJournalVersion = 5;
/// Oldest version readers accept: 4 is 5 without kAllocationNodes and
/// kTaskNodes. Readers reject versions outside these two.
inline constexpr uint32_t kOldestReadableVersion = 4;
/// Magic plus version.
inline constexpr size_t kHeaderSize = 12;
/// Length plus masked CRC before each payload.
inline constexpr size_t kFrameHeaderSize = 8;
/// Largest payload a writer produces or a reader accepts, so a corrupt length
/// cannot make replay allocate gigabytes.
inline constexpr uint32_t kMaxPayloadSize = 64u << 20;
/// Highest TaskState a record may carry; later values are undecodable, so an
/// old reader never invents a state it does not know.
inline constexpr TaskState kLastState = TaskState::kInterrupted;

/// Stored form of a payload's CRC. Rotating and adding a constant (as leveldb
/// does) keeps runs of zero bytes from carrying a valid-looking checksum and
/// keeps the CRC of bytes that embed CRCs from being trivially related.
constexpr uint32_t MaskCrc(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
}

/// Inverse of MaskCrc.
constexpr uint32_t UnmaskCrc(uint32_t masked) {
  const uint32_t rot = masked - 0xA282EAD8u;
  return (rot >> 17) | (rot << 15);
}

/// Writes `v` as sizeof(T) little-endian bytes at `p`.
template <class T>
void Store(char* p, T v) {
  static_assert(std::is_integral_v<T>);
  const auto u = static_cast<std::make_unsigned_t<T>>(v);
  if constexpr (std::endian::native == std::endian::little) {
    // One store: byte by byte, the payload buffer's read of these bytes
    // could not be forwarded from the stores and stalled on every field.
    std::memcpy(p, &u, sizeof u);
  } else {
    for (size_t i = 0; i < sizeof(T); ++i) {
      p[i] = static_cast<char>((u >> (8 * i)) & 0xFFu);
    }
  }
}

/// Reads sizeof(T) little-endian bytes at `p`.
template <class T>
T Load(const char* p) {
  static_assert(std::is_integral_v<T>);
  std::make_unsigned_t<T> u = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&u, p, sizeof u);
  } else {
    for (size_t i = sizeof(T); i-- > 0;) {
      u = static_cast<decltype(u)>(u << 8 | static_cast<unsigned char>(p[i]));
    }
  }
  return static_cast<T>(u);
}

namespace internal {

/// Gathers a payload's small fields and appends them to the frame a buffer
/// at a time: one std::string::append per field was most of the cost of
/// journaling a task. Flush() before the bytes are used.
class PayloadBuffer {
 public:
  explicit PayloadBuffer(std::string* out) : out_(out) {}
  void append(const char* data, size_t size) {
    if (size > sizeof buf_ - used_) {
      Flush();
      if (size > sizeof buf_) {
        out_->append(data, size);
        return;
      }
    }
    std::memcpy(buf_ + used_, data, size);
    used_ += size;
  }
  void append(const std::string& s) { append(s.data(), s.size()); }
  void Flush() {
    out_->append(buf_, used_);
    used_ = 0;
  }

 private:
  std::string* out_;
  char buf_[128];
  size_t used_ = 0;
};

template <class T, class Out>
void Put(T v, Out* out) {
  char bytes[sizeof(T)];
  Store(bytes, v);
  out->append(bytes, sizeof(T));
}

template <class Out>
void PutF64(double v, Out* out) {
  Put(std::bit_cast<uint64_t>(v), out);
}

template <class Out>
void PutString(const std::string& s, Out* out) {
  // Checked before the u32 cast so a >4 GiB string cannot wrap around.
  if (s.size() > kMaxPayloadSize) {
    throw std::length_error("journal record string over the payload cap");
  }
  Put(static_cast<uint32_t>(s.size()), out);
  out->append(s);
}

template <class Out>
void PutCount(size_t n, Out* out) {
  // Checked before the u32 cast so a huge vector cannot wrap around.
  if (n > kMaxPayloadSize) {
    throw std::length_error("journal record list over the payload cap");
  }
  Put(static_cast<uint32_t>(n), out);
}

template <class Out>
void PutNodes(const std::vector<NodeRecord>& nodes, Out* out) {
  PutCount(nodes.size(), out);
  for (const NodeRecord& node : nodes) {
    Put(node.rank, out);
    PutString(node.host, out);
    Put(node.cores, out);
    Put(node.gpus, out);
  }
}

template <class Out>
void PutRanks(const std::vector<int32_t>& ranks, Out* out) {
  PutCount(ranks.size(), out);
  for (const int32_t rank : ranks) Put(rank, out);
}

template <class Out>
void PutResults(const std::vector<ResultValue>& results, Out* out) {
  // Checked before the u32 cast, as for strings.
  if (results.size() > kMaxPayloadSize) {
    throw std::length_error("journal record results over the payload cap");
  }
  Put(static_cast<uint32_t>(results.size()), out);
  for (const ResultValue& result : results) {
    PutString(result.key, out);
    PutF64(result.value, out);
    PutString(result.text, out);
  }
}

inline void AppendFields(const JournalRecord& r, PayloadBuffer* out) {
  Put(static_cast<uint8_t>(r.type), out);
  switch (r.type) {
    case JournalRecordType::kRunStarted:
      PutString(r.text, out);
      PutString(r.sha256, out);
      Put(r.count, out);
      Put(r.rank, out);
      PutF64(r.time, out);
      return;
    case JournalRecordType::kTaskStarted:
      Put(r.row, out);
      Put(r.attempt, out);
      Put(r.rank, out);
      PutString(r.text, out);
      PutF64(r.time, out);
      Put(r.count, out);
      return;
    case JournalRecordType::kTaskEnded:
      Put(r.row, out);
      Put(r.attempt, out);
      Put(static_cast<uint8_t>(r.state), out);
      Put(r.exit_code, out);
      Put(r.signal, out);
      PutF64(r.time, out);
      Put(r.rank, out);
      PutString(r.text, out);
      PutString(r.stdout_tail, out);
      PutString(r.stderr_tail, out);
      return;
    case JournalRecordType::kRunFinished:
      PutF64(r.time, out);
      Put(r.exit_code, out);
      return;
    case JournalRecordType::kRunResumed:
      PutF64(r.time, out);
      Put(r.rank, out);
      PutString(r.sha256, out);
      return;
    case JournalRecordType::kTaskResults:
      Put(r.row, out);
      Put(r.attempt, out);
      PutResults(r.results, out);
      return;
    case JournalRecordType::kAllocationNodes:
      PutNodes(r.nodes, out);
      return;
    case JournalRecordType::kTaskNodes:
      Put(r.row, out);
      Put(r.attempt, out);
      PutRanks(r.ranks, out);
      return;
  }
  throw std::invalid_argument("unknown journal record type " +
                              std::to_string(static_cast<int>(r.type)));
}

inline void AppendPayload(const JournalRecord& r, std::string* out) {
  PayloadBuffer buffer(out);
  AppendFields(r, &buffer);
  buffer.Flush();
}

// Bounds-checked cursor over one payload; every getter fails once the bytes
// run out, so decoders can chain them with &&.
class PayloadReader {
 public:
  explicit PayloadReader(std::string_view in) : in_(in) {}

  template <class T>
  bool Get(T* v) {
    const char* p = Take(sizeof(T));
    if (p != nullptr) *v = Load<T>(p);
    return p != nullptr;
  }
  bool F64(double* v) {
    uint64_t bits = 0;
    if (!Get(&bits)) return false;
    *v = std::bit_cast<double>(bits);
    return true;
  }
  bool Str(std::string* s) {
    uint32_t n = 0;
    if (!Get(&n)) return false;
    const char* p = Take(n);
    if (p != nullptr) s->assign(p, n);
    return p != nullptr;
  }
  bool State(TaskState* state) {
    uint8_t v = 0;
    if (!Get(&v) || v > static_cast<uint8_t>(kLastState)) return false;
    *state = static_cast<TaskState>(v);
    return true;
  }
  bool Results(std::vector<ResultValue>* results) {
    uint32_t n = 0;
    if (!Get(&n)) return false;
    // Each result takes at least 16 bytes: a count past the payload is a
    // corrupt one, not a reason to allocate.
    if (n > (in_.size() - pos_) / 16) return false;
    results->resize(n);
    for (ResultValue& result : *results) {
      if (!Str(&result.key) || !F64(&result.value) || !Str(&result.text)) {
        return false;
      }
    }
    return true;
  }
  bool Nodes(std::vector<NodeRecord>* nodes) {
    uint32_t n = 0;
    if (!Get(&n)) return false;
    // Each node takes at least 16 bytes, as for results.
    if (n > (in_.size() - pos_) / 16) return false;
    nodes->resize(n);
    for (NodeRecord& node : *nodes) {
      if (!Get(&node.rank) || !Str(&node.host) || !Get(&node.cores) ||
          !Get(&node.gpus)) {
        return false;
      }
    }
    return true;
  }
  bool Ranks(std::vector<int32_t>* ranks) {
    uint32_t n = 0;
    if (!Get(&n) || n > (in_.size() - pos_) / 4) return false;
    ranks->resize(n);
    for (int32_t& rank : *ranks) {
      if (!Get(&rank)) return false;
    }
    return true;
  }
  bool AtEnd() const { return pos_ == in_.size(); }

 private:
  const char* Take(size_t n) {
    if (in_.size() - pos_ < n) return nullptr;
    const char* p = in_.data() + pos_;
    pos_ += n;
    return p;
  }

  std::string_view in_;
  size_t pos_ = 0;
};

// Defaults for every field, but the strings keep their buffers: replay
// decodes a million records into one JournalRecord.
inline void ResetRecord(JournalRecord* r) {
  JournalRecord fresh;
  for (std::string JournalRecord::*member :
       {&JournalRecord::text, &JournalRecord::sha256,
        &JournalRecord::stdout_tail, &JournalRecord::stderr_tail}) {
    std::string& kept = fresh.*member;
    kept.swap(r->*member);
    kept.clear();
  }
  r->results.clear();
  fresh.results.swap(r->results);
  r->ranks.clear();
  fresh.ranks.swap(r->ranks);
  r->nodes.clear();
  fresh.nodes.swap(r->nodes);
  *r = std::move(fresh);
}

inline bool DecodeFields(PayloadReader& in, JournalRecord* r) {
  switch (r->type) {
    case JournalRecordType::kRunStarted:
      return in.Str(&r->text) && in.Str(&r->sha256) && in.Get(&r->count) &&
             in.Get(&r->rank) && in.F64(&r->time);
    case JournalRecordType::kTaskStarted:
      return in.Get(&r->row) && in.Get(&r->attempt) && in.Get(&r->rank) &&
             in.Str(&r->text) && in.F64(&r->time) && in.Get(&r->count);
    case JournalRecordType::kTaskEnded:
      return in.Get(&r->row) && in.Get(&r->attempt) && in.State(&r->state) &&
             in.Get(&r->exit_code) && in.Get(&r->signal) && in.F64(&r->time) &&
             in.Get(&r->rank) && in.Str(&r->text) && in.Str(&r->stdout_tail) &&
             in.Str(&r->stderr_tail);
    case JournalRecordType::kRunFinished:
      return in.F64(&r->time) && in.Get(&r->exit_code);
    case JournalRecordType::kRunResumed:
      return in.F64(&r->time) && in.Get(&r->rank) && in.Str(&r->sha256);
    case JournalRecordType::kTaskResults:
      return in.Get(&r->row) && in.Get(&r->attempt) && in.Results(&r->results);
    case JournalRecordType::kAllocationNodes:
      return in.Nodes(&r->nodes);
    case JournalRecordType::kTaskNodes:
      return in.Get(&r->row) && in.Get(&r->attempt) && in.Ranks(&r->ranks);
  }
  return false;
}

}  // namespace internal

/// The 12-byte file header for the current version.
inline std::string EncodeHeader() {
  std::string header(kMagic);
  internal::Put(kJournalVersion, &header);
  return header;
}

/// The format version in `header`, a file's first kHeaderSize bytes with
/// the magic checked (HeaderProblem gave "").
inline uint32_t HeaderVersion(std::string_view header) {
  return Load<uint32_t>(header.data() + kMagic.size());
}

/// Why `header` (a file's first kHeaderSize bytes) does not start a journal
/// this build reads; "" when it does. Names the version, so a journal left by
/// an older sortie is reported as such rather than as garbage.
inline std::string HeaderProblem(std::string_view header) {
  if (header.size() < kHeaderSize ||
      header.substr(0, kMagic.size()) != kMagic) {
    return "not a sortie journal (bad magic)";
  }
  const uint32_t version = HeaderVersion(header);
  if (version >= kOldestReadableVersion && version <= kJournalVersion) {
    return "";
  }
  const std::string reads = "this sortie reads versions " +
                            std::to_string(kOldestReadableVersion) + " to " +
                            std::to_string(kJournalVersion);
  if (version < kOldestReadableVersion) {
    return "unsupported journal version " + std::to_string(version) + ": " +
           reads +
           "; the journal was written by an older sortie, so resume "
           "the run with that sortie or start it afresh";
  }
  return "unsupported journal version " + std::to_string(version) + ": " +
         reads + "; the journal was written by a newer sortie";
}

/// Appends `record`'s frame to `out` with its CRC left zero (see
/// SealFrames): the journal writer's thread computes CRCs, not the master's
/// loop. Throws std::length_error (leaving `out` unchanged) when the payload
/// would exceed kMaxPayloadSize, and std::invalid_argument for a type
/// outside JournalRecordType.
inline void AppendUnsealedFrame(const JournalRecord& record, std::string* out) {
  const size_t start = out->size();
  out->append(kFrameHeaderSize, '\0');
  try {
    internal::AppendPayload(record, out);
  } catch (...) {
    out->resize(start);
    throw;
  }
  const size_t length = out->size() - start - kFrameHeaderSize;
  if (length > kMaxPayloadSize) {
    out->resize(start);
    throw std::length_error("journal record payload over the 64 MiB cap");
  }
  Store(out->data() + start, static_cast<uint32_t>(length));
}

/// Fills in the CRC of every frame in `frames` (whole frames as
/// AppendUnsealedFrame made them, back to back).
inline void SealFrames(char* frames, size_t size) {
  size_t at = 0;
  while (at + kFrameHeaderSize <= size) {
    char* frame = frames + at;
    const auto length = Load<uint32_t>(frame);
    Store(frame + 4, MaskCrc(Crc32c(frame + kFrameHeaderSize, length)));
    at += kFrameHeaderSize + length;
  }
}

/// Appends `record`'s whole frame to `out`: AppendUnsealedFrame, then its
/// CRC; throws as AppendUnsealedFrame does.
inline void AppendFrame(const JournalRecord& record, std::string* out) {
  const size_t start = out->size();
  AppendUnsealedFrame(record, out);
  SealFrames(out->data() + start, out->size() - start);
}

/// Decodes one payload into `record`, resetting the fields its type does not
/// carry to their defaults (string capacity is reused). Returns false for an
/// unknown type, a short or over-long payload or an out-of-range state; then
/// `record` holds garbage.
inline bool DecodePayload(std::string_view payload, JournalRecord* record) {
  internal::PayloadReader in(payload);
  uint8_t type = 0;
  if (!in.Get(&type)) return false;
  internal::ResetRecord(record);
  record->type = static_cast<JournalRecordType>(type);
  return internal::DecodeFields(in, record) && in.AtEnd();
}

}  // namespace sortie::journal_format
