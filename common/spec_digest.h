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

/// A Boost-style archive that feeds every field into a 64-bit hash (FNV-1a's
/// multiplier, applied per 8-byte word) instead of writing it: stable across
/// builds and Boost versions on little-endian machines. Journals store it
/// (kTaskStarted's count): changing it needs a new journal version.
class DigestArchive {
 public:
  template <class T>
  DigestArchive& operator&(const T& value) {
    Feed(value);
    return *this;
  }
  /// The digest of everything fed so far.
  uint64_t digest() const { return hash_; }

 private:
  void Bytes(const void* data, size_t size);
  /// One multiply per 8 bytes, not per byte as in FNV-1a: the digest is
  /// taken for every task start. The fold of the high half back down lets
  /// every input bit reach every output bit.
  static uint64_t Mix(uint64_t hash, uint64_t word) {
    hash = (hash ^ word) * 0x100000001b3ull;
    return hash ^ (hash >> 29);
  }
  // What Bytes(&value, sizeof value) computes, inline: a field is a few
  // instructions, not a call.
  template <class T>
  void FeedNumber(T value) {
    static_assert(sizeof(T) <= 8);
    uint64_t word = sizeof(T) < 8 ? uint64_t{sizeof(T)} << 56 : 0;
    std::memcpy(&word, &value, sizeof value);
    hash_ = Mix(hash_, word);
  }
  template <class T>
  void Feed(const T& value) {
    if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>) {
      FeedNumber(value);
    } else {
      // serialize() is non-const by Boost's convention; it only reads here.
      const_cast<T&>(value).serialize(*this, 0);
    }
  }
  void Feed(const std::string& text) {
    Feed(static_cast<uint64_t>(text.size()));
    Bytes(text.data(), text.size());
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

  uint64_t hash_ = 0xcbf29ce484222325ull;
};

/// The manifest line says where a task is written, not what it is.
template <>
inline constexpr bool kArchiveSkipsLine<DigestArchive> = true;

/// Fingerprint of what a task runs and how (every field but its line).
uint64_t SpecDigest(const TaskSpec& spec);

}  // namespace sortie
