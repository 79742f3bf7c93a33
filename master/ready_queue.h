// The ready tasks of one shape class, in the scheduler's order. Most tasks
// become ready in manifest order at equal priority, so keys mostly arrive
// already sorted: those go to the back of a sorted run, taken from its
// front in O(1) with sequential memory access, and only keys that arrive
// out of order go to a binary heap. A million-task heap alone cost a cache
// miss per level on every pop.
#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <vector>

namespace sortie {

/// A priority queue of `Key`s, first out the one that `Before` puts first;
/// the same interface as std::priority_queue (top, push, pop, empty, size).
/// Keys must be distinct.
template <class Key, class Before>
class ReadyQueue {
 public:
  /// True when no key is queued.
  bool empty() const { return run_.empty() && heap_.empty(); }
  /// Keys queued.
  size_t size() const { return run_.size() + heap_.size(); }
  /// The first key; the queue must not be empty.
  const Key& top() const {
    if (heap_.empty()) return run_.front();
    if (run_.empty()) return heap_.front();
    return Before{}(heap_.front(), run_.front()) ? heap_.front() : run_.front();
  }
  /// Queues `key`.
  void push(const Key& key) {
    if (run_.empty() || Before{}(run_.back(), key)) {
      run_.push_back(key);
    } else {
      heap_.push_back(key);
      std::push_heap(heap_.begin(), heap_.end(), After{});
    }
  }
  /// Removes top(); the queue must not be empty.
  void pop() {
    if (!heap_.empty() &&
        (run_.empty() || Before{}(heap_.front(), run_.front()))) {
      std::pop_heap(heap_.begin(), heap_.end(), After{});
      heap_.pop_back();
    } else {
      run_.pop_front();
    }
  }

 private:
  // std heaps keep their largest on top: invert Before.
  struct After {
    bool operator()(const Key& a, const Key& b) const { return Before{}(b, a); }
  };

  std::deque<Key> run_;    // sorted by Before, first at the front
  std::vector<Key> heap_;  // the keys that came out of order
};

}  // namespace sortie
