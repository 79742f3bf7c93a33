// Text that costs one pointer when it holds its default: for per-task fields
// that most tasks leave at a default ("{}" tags, "null" args), where a
// std::string's 32 bytes would be a large part of a million-task manifest's
// memory (docs/architecture.md, "State, journal, run.h5").
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "common/archive_traits.h"

namespace sortie {

/// A string literal usable as a template argument: CompactText<"{}">.
template <size_t N>
struct TextLiteral {
  constexpr TextLiteral(const char (&text)[N]) {  // NOLINT: implicit
    std::copy_n(text, N, chars);
  }
  char chars[N];
};

/// Text whose default value `Default` is stored as a null pointer; any other
/// value lives in one heap block (its length, its bytes, a NUL). Reads like
/// a std::string_view; serialises exactly as a std::string does.
template <TextLiteral Default>
class CompactText {
 public:
  CompactText() = default;
  CompactText(std::string_view text) { Assign(text); }  // NOLINT: implicit
  CompactText(const CompactText& other) { Assign(other.view()); }
  CompactText(CompactText&& other) noexcept : block_(other.block_) {
    other.block_ = nullptr;
  }
  CompactText& operator=(const CompactText& other) {
    if (this != &other) Assign(other.view());
    return *this;
  }
  /// Moving leaves `other` at the default.
  CompactText& operator=(CompactText&& other) noexcept {
    if (this != &other) {
      delete[] block_;
      block_ = std::exchange(other.block_, nullptr);
    }
    return *this;
  }
  CompactText& operator=(std::string_view text) {
    Assign(text);
    return *this;
  }
  ~CompactText() { delete[] block_; }

  /// The text (the default when nothing else was set).
  std::string_view view() const {
    if (!block_) return {Default.chars, sizeof(Default.chars) - 1};
    uint32_t size;
    std::memcpy(&size, block_, sizeof size);
    return {block_ + sizeof size, size};
  }
  operator std::string_view() const { return view(); }  // NOLINT: implicit
  /// NUL-terminated, for C interfaces.
  const char* c_str() const { return view().data(); }
  std::string str() const { return std::string(view()); }
  size_t size() const { return view().size(); }
  bool empty() const { return view().empty(); }
  /// Replaces the text, as std::string::assign does.
  void assign(std::string_view text) { Assign(text); }

  friend bool operator==(const CompactText& a, std::string_view b) {
    return a.view() == b;
  }
  friend std::ostream& operator<<(std::ostream& out, const CompactText& t) {
    return out << t.view();
  }

  /// Written and read as a std::string (the wire layout and the resume
  /// digest do not change with the representation).
  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    if constexpr (IsLoadingArchive<Archive>()) {
      std::string text;
      ar& text;
      Assign(text);
    } else {
      std::string text(view());
      ar& text;
    }
  }

 private:
  void Assign(std::string_view text) {
    char* block = nullptr;
    if (text != std::string_view(Default.chars, sizeof(Default.chars) - 1)) {
      if (text.size() > UINT32_MAX) throw std::length_error("text too long");
      const auto size = static_cast<uint32_t>(text.size());
      block = new char[sizeof size + text.size() + 1];
      std::memcpy(block, &size, sizeof size);
      std::memcpy(block + sizeof size, text.data(), text.size());
      block[sizeof size + text.size()] = '\0';
    }
    delete[] block_;
    block_ = block;
  }

  char* block_ = nullptr;  ///< null: the default
};

}  // namespace sortie
