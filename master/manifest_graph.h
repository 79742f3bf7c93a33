// Task ids and the `after` keys that name them: the id table, and the ids
// of `after` lists kept as text while the manifest is read (a task may come
// after one on a later line), then resolved to rows and checked for
// dependency cycles, in time linear in the number of tasks and entries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/task.h"

namespace sortie::manifest_internal {

/// Finds duplicate task ids. Stores row numbers, not views of the ids, so
/// the task vector may grow (and move its strings) between calls. Rows must
/// be inserted in the order of their lines. An id that is its own line
/// number (the id a task without one gets) is found from the line, not
/// stored: most tasks of a large manifest have one, and hashing a million
/// of them into a table cost a cache miss each.
class IdTable {
 public:
  /// If a task before `row` has the id of tasks[row], returns that task's
  /// row; otherwise remembers `row` and returns -1.
  int64_t FindOrInsert(const std::vector<TaskSpec>& tasks, uint32_t row);
  /// The row of the first task inserted with id `id`, or -1.
  int64_t Find(const std::vector<TaskSpec>& tasks, std::string_view id) const;
  /// Expects about `count` tasks: the table starts larger (up to a bound).
  void Reserve(size_t count);

 private:
  // Small slots keep a million-id table mostly in cache; the probe is the
  // one random memory access per line that the reader cannot avoid.
  struct Slot {
    uint32_t hash = 0;          ///< low bits of the id's hash
    uint32_t row_plus_one = 0;  ///< 0: empty slot
  };
  void Rehash(size_t slot_count);
  int64_t FindHashed(const std::vector<TaskSpec>& tasks, std::string_view id,
                     uint32_t hash) const;

  std::vector<Slot> slots_;
  size_t used_ = 0;
  // The largest line number that a stored id spells: a task on a line up to
  // it must look its line-number id up in the table.
  uint64_t largest_numeric_id_ = 0;
  static constexpr size_t kFirstSlotsAtMost = size_t{1} << 16;
  size_t first_slot_count_ = 1024;
};

/// The ids named by `after` lists, stored back to back in one buffer so a
/// line allocates nothing of its own for them.
class NamePool {
 public:
  /// Stores `name` and sets `*index` to its index; false when the pool is
  /// full (2^32 - 1 names).
  bool Add(std::string_view name, uint32_t* index);
  /// The name stored at `index`.
  std::string_view Get(uint32_t index) const;
  /// Names stored so far.
  size_t size() const { return ends_.size(); }

 private:
  std::string bytes_;
  std::vector<size_t> ends_;  // end offset of each name in bytes_
};

/// Receives one problem: the 1-based line it is on and the message.
using ProblemSink = std::function<void(uint64_t line, std::string message)>;

/// Replaces each task's `after` entries, indexes into `names`, with the rows
/// of the tasks they name (looked up in `ids`, which holds every task of
/// `tasks`). Reports each id no task has and each task that names itself,
/// and drops those entries. Then reports each group of tasks that depend on
/// each other in a cycle, once, with one cycle of it as a path.
void ResolveAfter(const NamePool& names, const IdTable& ids,
                  std::vector<TaskSpec>* tasks, const ProblemSink& problem);

/// Reports each dependency cycle among `tasks`, whose `after` hold rows:
/// one message per strongly connected group of tasks, at the line of its
/// first task, naming a shortest cycle through that task. Iterative (no
/// recursion) and linear in tasks plus `after` entries.
void FindCycles(const std::vector<TaskSpec>& tasks, const ProblemSink& problem);

}  // namespace sortie::manifest_internal
