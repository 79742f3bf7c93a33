// Drives a Boost binary archive through a message's serialize() without
// Boost's per-object machinery: numbers and strings go to the archive as
// primitives, while containers and structs are walked here. Boost would
// otherwise look up, for every task in a batch, each nested object's
// serializer (most of the cost of a message of a thousand small tasks).
// The wire layout: numbers and strings as the Boost binary archive writes
// them, a container as its element count (uint64) then its elements.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
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
  /// Whether this archive reads (for IsLoadingArchive in
  /// common/archive_traits.h).
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

/// FlatArchive's wire layout written straight into a string grown ahead:
/// what FlatWriter sends and DigestArchive (common/spec_digest.h) digests.
/// `Derived` is the archive type serialize() functions are given.
template <class Derived>
class FlatBytesWriter {
 public:
  /// Saving (for IsLoadingArchive in common/archive_traits.h).
  using is_loading = std::false_type;

  FlatBytesWriter(const FlatBytesWriter&) = delete;
  FlatBytesWriter& operator=(const FlatBytesWriter&) = delete;

  template <class T>
  Derived& operator&(const T& value) {
    Visit(value);
    return static_cast<Derived&>(*this);
  }

 protected:
  /// Writes into `*out` from byte `used` on; bytes after the written ones
  /// are slack.
  FlatBytesWriter(std::string* out, size_t used) : out_(out), used_(used) {}
  ~FlatBytesWriter() = default;

  std::string* out_;
  size_t used_;  // bytes written; out_ may be longer

 private:
  template <class T>
  void Visit(const T& value) {
    if constexpr (std::is_enum_v<T>) {
      Put(static_cast<std::underlying_type_t<T>>(value));
    } else if constexpr (std::is_arithmetic_v<T>) {
      Put(value);
    } else {
      // serialize() is non-const by Boost's convention; saving only reads.
      const_cast<T&>(value).serialize(static_cast<Derived&>(*this), 0);
    }
  }
  // Boost writes a string's length as a size_t, then its bytes.
  void Visit(const std::string& text) {
    Put(static_cast<uint64_t>(text.size()));
    Raw(text.data(), text.size());
  }
  template <class T>
  void Visit(const std::vector<T>& items) {
    Put(static_cast<uint64_t>(items.size()));
    if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
      Raw(items.data(), items.size() * sizeof(T));
    } else {
      for (const T& item : items) Visit(item);
    }
  }
  void Visit(const std::vector<bool>& items) = delete;
  template <class A, class B>
  void Visit(const std::pair<A, B>& pair) {
    Visit(pair.first);
    Visit(pair.second);
  }
  // The string is grown ahead in large steps and filled by memcpy, so a
  // number costs a compare and a store.
  template <class T>
  [[gnu::always_inline]] void Put(T value) {
    if (out_->size() - used_ < sizeof value) Grow(sizeof value);
    std::memcpy(out_->data() + used_, &value, sizeof value);
    used_ += sizeof value;
  }
  [[gnu::always_inline]] void Raw(const void* data, size_t size) {
    if (out_->size() - used_ < size) Grow(size);
    if (size > 0) std::memcpy(out_->data() + used_, data, size);
    used_ += size;
  }
  [[gnu::noinline]] void Grow(size_t size) {
    out_->resize(
        std::max({2 * out_->size(), used_ + size + 256, out_->capacity()}));
  }
};

/// Writes a message in FlatArchive's wire layout straight into a string:
/// byte for byte what FlatArchive<boost::archive::binary_oarchive> writes
/// (tests/unit/protocol_test.cc checks it), without a virtual stream call
/// per field, which was most of the cost of a batch of small tasks. Use as
/// `FlatWriter(&bytes) & message`.
class FlatWriter : public FlatBytesWriter<FlatWriter> {
 public:
  /// Appends to `*out`; the bytes are complete after Finish() or once the
  /// writer is gone (until then `*out` may be longer).
  explicit FlatWriter(std::string* out) : FlatBytesWriter(out, out->size()) {}
  ~FlatWriter() { Finish(); }

  /// Cuts `*out` to the bytes written. Writing may go on afterwards.
  void Finish() { out_->resize(used_); }
  /// Goes on from the end of `*out` (after the caller changed it).
  void Restart() { used_ = out_->size(); }
};

/// Reads what FlatWriter (or FlatArchive over Boost's binary_oarchive)
/// wrote, from a view of the bytes. Throws std::length_error when the bytes
/// end before the message does, or an element count exceeds what is left
/// (each element takes at least one byte), so garbage never allocates
/// without end. Use as `FlatReader(bytes) & message`.
class FlatReader {
 public:
  /// Loading (for IsLoadingArchive in common/archive_traits.h).
  using is_loading = std::true_type;

  explicit FlatReader(std::string_view bytes) : rest_(bytes) {}

  template <class T>
  FlatReader& operator&(T& value) {
    Visit(value);
    return *this;
  }

 private:
  template <class T>
  void Visit(T& value) {
    if constexpr (std::is_enum_v<T>) {
      std::underlying_type_t<T> raw;
      Raw(&raw, sizeof raw);
      value = static_cast<T>(raw);
    } else if constexpr (std::is_same_v<T, bool>) {
      unsigned char raw;
      Raw(&raw, 1);
      value = raw != 0;
    } else if constexpr (std::is_arithmetic_v<T>) {
      Raw(&value, sizeof value);
    } else {
      value.serialize(*this, 0);
    }
  }
  void Visit(std::string& text) {
    const size_t size = Count();
    text.assign(rest_.data(), size);
    rest_.remove_prefix(size);
  }
  template <class T>
  void Visit(std::vector<T>& items) {
    const size_t count = Count();
    if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
      if (count > rest_.size() / sizeof(T)) {
        throw std::length_error("the message ends inside a field");
      }
      items.resize(count);
      Raw(items.data(), count * sizeof(T));
    } else {
      items.resize(count);
      for (T& item : items) Visit(item);
    }
  }
  void Visit(std::vector<bool>& items) = delete;
  template <class A, class B>
  void Visit(std::pair<A, B>& pair) {
    Visit(pair.first);
    Visit(pair.second);
  }
  // An element count or string length, checked against the bytes left.
  size_t Count() {
    uint64_t count;
    Raw(&count, sizeof count);
    if (count > rest_.size()) {
      throw std::length_error("element count " + std::to_string(count) +
                              " exceeds the message");
    }
    return static_cast<size_t>(count);
  }
  void Raw(void* data, size_t size) {
    if (size > rest_.size()) {
      throw std::length_error("the message ends inside a field");
    }
    if (size > 0) std::memcpy(data, rest_.data(), size);
    rest_.remove_prefix(size);
  }

  std::string_view rest_;
};

}  // namespace sortie
