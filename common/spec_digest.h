// A task spec's fingerprint: what `--resume` compares to tell whether a task
// changed since it ran. Computed from the fields TaskSpec::serialize lists,
// so a field added there is covered here without further work.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/flat_archive.h"
#include "common/task.h"

namespace sortie {

/// A 64-bit digest of `size` bytes: four lanes of 8-byte words, each
/// multiplied with FNV-1a's prime and folded, combined at the end. The
/// lanes are independent, so a spec's few hundred bytes take about a
/// quarter of the time of one chain; the digest is taken at every start.
uint64_t DigestBytes(const void* data, size_t size);

/// Lays every field out as FlatWriter does (numbers as they are in memory,
/// strings and containers after their uint64 length) in a scratch buffer,
/// and digests the bytes with DigestBytes: stable across builds and Boost
/// versions on little-endian machines. Journals store the digest
/// (kTaskStarted's count): changing it needs a new journal version.
class DigestArchive : public FlatBytesWriter<DigestArchive> {
 public:
  /// Gathers into `*scratch` from its start (what it held is overwritten,
  /// its length kept as room), so a caller may reuse it.
  explicit DigestArchive(std::string* scratch) : FlatBytesWriter(scratch, 0) {}

  /// The digest of everything fed so far.
  uint64_t digest() const { return DigestBytes(out_->data(), used_); }
};

/// The manifest line says where a task is written, not what it is.
template <>
inline constexpr bool kArchiveSkipsLine<DigestArchive> = true;

/// Fingerprint of what a task runs and how (every field but its line).
uint64_t SpecDigest(const TaskSpec& spec);

}  // namespace sortie
