// Drives a Boost binary archive through a message's serialize() without
// Boost's per-object machinery: numbers and strings go to the archive as
// primitives, while containers and structs are walked here. Boost would
// otherwise look up, for every task in a batch, each nested object's
// serializer (most of the cost of a message of a thousand small tasks).
// The wire layout: numbers and strings as the Boost binary archive writes
// them, a container as its element count (uint64) then its elements.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace sortie {

/// Wraps a Boost binary_oarchive or binary_iarchive (`Archive`); use as
/// `FlatArchive<A>(archive, limit) & message`. `limit` bounds any element
/// count read (the message's size in bytes: each element takes >= 1), so a
/// garbled count throws instead of allocating without end.
template <class Archive>
class FlatArchive {
 public:
  /// Whether this archive reads (for IsLoadingArchive in common/task.h).
  using is_loading = typename Archive::is_loading;

  FlatArchive(Archive& archive, uint64_t limit)
      : archive_(archive), limit_(limit) {}

  template <class T>
  FlatArchive& operator&(T& value) {
    Visit(value);
    return *this;
  }

 private:
  static constexpr bool kSaving = Archive::is_saving::value;

  template <class T>
  void Visit(T& value) {
    if constexpr (std::is_enum_v<T>) {
      auto raw = static_cast<std::underlying_type_t<T>>(value);
      archive_& raw;
      value = static_cast<T>(raw);
    } else if constexpr (std::is_arithmetic_v<T>) {
      archive_& value;
    } else {
      value.serialize(*this, 0);
    }
  }
  void Visit(std::string& text) { archive_& text; }
  template <class T>
  void Visit(std::vector<T>& items) {
    uint64_t count = items.size();
    archive_& count;
    if constexpr (!kSaving) {
      if (count > limit_) {
        throw std::length_error("element count " + std::to_string(count) +
                                " exceeds the message");
      }
      items.resize(static_cast<size_t>(count));
    }
    for (T& item : items) Visit(item);
  }
  // std::vector<bool> has no T& elements; no message uses it.
  void Visit(std::vector<bool>& items) = delete;
  template <class A, class B>
  void Visit(std::pair<A, B>& pair) {
    Visit(pair.first);
    Visit(pair.second);
  }

  Archive& archive_;
  uint64_t limit_;
};

}  // namespace sortie
