// A task spec's fingerprint: what `--resume` compares to tell whether a task
// changed since it ran. Computed from the fields TaskSpec::serialize lists,
// so a field added there is covered here without further work.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/task.h"

namespace sortie {

/// A Boost-style archive that lays every field out as bytes (numbers as
/// they are in memory, strings and containers after their uint64 length) in
/// a buffer, and digests the buffer with DigestBytes: stable across builds
/// and Boost versions on little-endian machines. Journals store the digest
/// (kTaskStarted's count): changing it needs a new journal version.
class DigestArchive {
 public:
  /// Gathers into `*scratch` (overwritten), which a caller may reuse.
  explicit DigestArchive(std::string* scratch) : bytes_(scratch) {
    if (bytes_->size() < 512) bytes_->resize(512);
  }

  template <class T>
  DigestArchive& operator&(const T& value) {
    Feed(value);
    return *this;
  }
  /// The digest of everything fed so far.
  uint64_t digest() const;

 private:
  template <class T>
  void Feed(const T& value) {
    if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>) {
      PutNumber(value);
    } else {
      // serialize() is non-const by Boost's convention; it only reads here.
      const_cast<T&>(value).serialize(*this, 0);
    }
  }
  void Feed(const std::string& text) {
    Feed(static_cast<uint64_t>(text.size()));
    Put(text.data(), text.size());
  }
  template <class T>
  void Feed(const std::vector<T>& items) {
    Feed(static_cast<uint64_t>(items.size()));
    for (const T& item : items) Feed(item);
  }
  template <class A, class B>
  void Feed(const std::pair<A, B>& pair) {
    Feed(pair.first);
    Feed(pair.second);
  }

  // The buffer is grown ahead, so a field is a compare and a copy.
  template <class T>
  [[gnu::always_inline]] void PutNumber(T value) {
    if (bytes_->size() - used_ < sizeof value) Grow(sizeof value);
    std::memcpy(bytes_->data() + used_, &value, sizeof value);
    used_ += sizeof value;
  }
  void Put(const void* data, size_t size) {
    if (bytes_->size() - used_ < size) Grow(size);
    if (size > 0) std::memcpy(bytes_->data() + used_, data, size);
    used_ += size;
  }
  [[gnu::noinline]] void Grow(size_t size) {
    bytes_->resize(2 * bytes_->size() + size);
  }

  std::string* bytes_;
  size_t used_ = 0;  // bytes_ holds this many; the rest is slack
};

/// A 64-bit digest of `size` bytes: four lanes of 8-byte words, each
/// multiplied with FNV-1a's prime and folded, combined at the end. The
/// lanes are independent, so a spec's few hundred bytes take about a
/// quarter of the time of one chain; the digest is taken at every start.
uint64_t DigestBytes(const void* data, size_t size);

/// The manifest line says where a task is written, not what it is.
template <>
inline constexpr bool kArchiveSkipsLine<DigestArchive> = true;

/// Fingerprint of what a task runs and how (every field but its line).
uint64_t SpecDigest(const TaskSpec& spec);

}  // namespace sortie
