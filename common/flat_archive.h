// The flat wire layout of every message, and the archives that write and
// read it. FlatWalk walks a message's serialize() without Boost's per-object
// machinery: containers and structs are walked here and only numbers and
// strings reach an archive's primitives. Boost would otherwise look up, for
// every task in a batch, each nested object's serializer (most of the cost
// of a message of a thousand small tasks). The wire layout: numbers and
// strings as the Boost binary archive writes them, a container as its
// element count (uint64) then its elements. FlatArchive drives a Boost
// archive through that walk (the reference); FlatWriter, DigestArchive and
// FlatReader do the same on bytes in memory.
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

/// Whether T is a std::vector (FlatWalk writes its count, then elements).
template <class T>
inline constexpr bool kIsVector = false;
template <class T, class Allocator>
inline constexpr bool kIsVector<std::vector<T, Allocator>> = true;
/// Whether T is a std::pair (FlatWalk writes first, then second).
template <class T>
inline constexpr bool kIsPair = false;
template <class A, class B>
inline constexpr bool kIsPair<std::pair<A, B>> = true;

/// The walk every flat archive shares: enums as their underlying number,
/// numbers, strings, vectors (their element count, then the elements),
/// pairs, and anything else through its serialize(). `Derived` supplies the
/// primitives, which it may keep private if it befriends this class:
///   Number(T&)            one number (T arithmetic; const when saving)
///   Text(std::string&)    one string (const when saving)
///   Count<kBytes>(size)   a vector's count: saving writes `size` and returns
///                         it; loading returns the count read, after checking
///                         that many elements of >= kBytes bytes each fit
///   Numbers(T*, count)    a vector's arithmetic elements, in a row
/// Use as `archive & value`; with `kLoading` it reads into `value`.
template <class Derived, bool kLoading>
class FlatWalk {
 public:
  /// Whether this archive reads (for IsLoadingArchive in
  /// common/archive_traits.h).
  using is_loading = std::bool_constant<kLoading>;

  template <class T>
  Derived& operator&(T&& value) {
    Visit(value);
    return self();
  }

 protected:
  FlatWalk() = default;
  ~FlatWalk() = default;

 private:
  Derived& self() { return static_cast<Derived&>(*this); }

  template <class T>
  [[gnu::always_inline]] void Visit(T& value) {
    using Plain = std::remove_const_t<T>;
    if constexpr (std::is_enum_v<Plain>) {
      auto raw = static_cast<std::underlying_type_t<Plain>>(value);
      self().Number(raw);
      if constexpr (kLoading) value = static_cast<Plain>(raw);
    } else if constexpr (std::is_arithmetic_v<Plain>) {
      self().Number(value);
    } else if constexpr (std::is_same_v<Plain, std::string>) {
      self().Text(value);
    } else if constexpr (kIsVector<Plain>) {
      VisitVector(value);
    } else if constexpr (kIsPair<Plain>) {
      Visit(value.first);
      Visit(value.second);
    } else {
      // serialize() is non-const by Boost's convention; saving only reads.
      const_cast<Plain&>(value).serialize(self(), 0);
    }
  }

  template <class Vector>
  void VisitVector(Vector& items) {
    using Item = typename std::remove_const_t<Vector>::value_type;
    // std::vector<bool> has no Item& elements; no message uses it.
    static_assert(!std::is_same_v<Item, bool>, "std::vector<bool>");
    constexpr bool kNumbers = std::is_arithmetic_v<Item>;
    constexpr size_t kBytes = kNumbers ? sizeof(Item) : 1;
    const size_t count = self().template Count<kBytes>(items.size());
    if constexpr (kLoading) items.resize(count);
    if constexpr (kNumbers) {
      self().Numbers(items.data(), count);
    } else {
      for (auto& item : items) Visit(item);
    }
  }
};

/// Wraps a Boost binary_oarchive or binary_iarchive (`Archive`); use as
/// `FlatArchive<A>(archive, limit) & message`. `limit` bounds any element
/// count read (the message's size in bytes: each element takes >= 1), so a
/// garbled count throws instead of allocating without end. The reference
/// FlatWriter and FlatReader follow (tests/unit/protocol_test.cc).
template <class Archive>
class FlatArchive
    : public FlatWalk<FlatArchive<Archive>, Archive::is_loading::value> {
 public:
  FlatArchive(Archive& archive, uint64_t limit)
      : archive_(archive), limit_(limit) {}

 private:
  friend class FlatWalk<FlatArchive<Archive>, Archive::is_loading::value>;

  template <class T>
  void Number(T& value) {
    archive_& value;
  }
  template <class String>  // const std::string when saving
  void Text(String& text) {
    archive_& text;
  }
  template <size_t kBytes>
  size_t Count(size_t size) {
    uint64_t count = size;
    archive_& count;
    if (Archive::is_loading::value && count > limit_) {
      throw std::length_error("element count " + std::to_string(count) +
                              " exceeds the message");
    }
    return static_cast<size_t>(count);
  }
  template <class T>
  void Numbers(T* items, size_t count) {
    for (size_t i = 0; i < count; ++i) archive_& items[i];
  }

  Archive& archive_;
  uint64_t limit_;
};

/// FlatArchive's wire layout written straight into a string grown ahead:
/// what FlatWriter sends and DigestArchive (common/spec_digest.h) digests.
/// `Derived` is the archive type serialize() functions are given.
template <class Derived>
class FlatBytesWriter : public FlatWalk<Derived, false> {
 public:
  FlatBytesWriter(const FlatBytesWriter&) = delete;
  FlatBytesWriter& operator=(const FlatBytesWriter&) = delete;

 protected:
  /// Writes into `*out` from byte `used` on; bytes after the written ones
  /// are slack.
  FlatBytesWriter(std::string* out, size_t used) : out_(out), used_(used) {}
  ~FlatBytesWriter() = default;

  std::string* out_;
  size_t used_;  // bytes written; out_ may be longer

 private:
  friend class FlatWalk<Derived, false>;

  template <class T>
  [[gnu::always_inline]] void Number(const T& value) {
    Put(value);
  }
  // Boost writes a string's length as a size_t, then its bytes.
  void Text(const std::string& text) {
    Put(static_cast<uint64_t>(text.size()));
    Raw(text.data(), text.size());
  }
  template <size_t kBytes>
  size_t Count(size_t size) {
    Put(static_cast<uint64_t>(size));
    return size;
  }
  template <class T>
  void Numbers(const T* items, size_t count) {
    Raw(items, count * sizeof(T));
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
class FlatReader : public FlatWalk<FlatReader, true> {
 public:
  explicit FlatReader(std::string_view bytes) : rest_(bytes) {}

 private:
  friend class FlatWalk<FlatReader, true>;

  template <class T>
  void Number(T& value) {
    if constexpr (std::is_same_v<T, bool>) {
      unsigned char raw;  // any byte but 0 is true, as Boost reads it
      Raw(&raw, 1);
      value = raw != 0;
    } else {
      Raw(&value, sizeof value);
    }
  }
  void Text(std::string& text) {
    const size_t size = Count<1>(0);
    text.assign(rest_.data(), size);
    rest_.remove_prefix(size);
  }
  // An element count or string length, checked against the bytes left.
  template <size_t kBytes>
  size_t Count(size_t /*size*/) {
    uint64_t count;
    Raw(&count, sizeof count);
    if (count > rest_.size() / kBytes) {
      throw std::length_error("element count " + std::to_string(count) +
                              " exceeds the message");
    }
    return static_cast<size_t>(count);
  }
  template <class T>
  void Numbers(T* items, size_t count) {
    Raw(items, count * sizeof(T));
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
