// Distinct strings kept once, each named by a small index: the run's hosts
// and the node lists tasks ran on repeat across a million tasks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace sortie {

/// Strings in order of first sight, each with a stable index.
class InternTable {
 public:
  /// Index of `text`, adding it when new. Most calls repeat the previous
  /// string, which is found without hashing; new ones are looked up before
  /// a map node is made (emplace would make one, then drop it).
  int32_t Intern(const std::string& text) {
    if (last_ >= 0 && strings_[static_cast<size_t>(last_)] == text) {
      return last_;
    }
    auto it = index_.find(text);
    if (it == index_.end()) {
      it = index_.emplace(text, static_cast<int32_t>(strings_.size())).first;
      strings_.push_back(text);
    }
    last_ = it->second;
    return last_;
  }
  /// The string of an index from Intern.
  const std::string& at(size_t index) const { return strings_.at(index); }
  /// Every string, by index.
  const std::vector<std::string>& strings() const { return strings_; }

 private:
  std::vector<std::string> strings_;
  std::unordered_map<std::string, int32_t> index_;
  int32_t last_ = -1;  ///< the index Intern returned last, or -1
};

}  // namespace sortie
