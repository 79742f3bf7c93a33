// The id table, reading `after` lists, resolving their ids to rows, and
// finding dependency cycles with an iterative Tarjan search: a million-task
// chain must not overflow the stack.
#include "master/manifest_graph.h"

#include <algorithm>
#include <functional>
#include <limits>

#include "master/manifest_keys.h"
#include "master/manifest_util.h"

namespace sortie::manifest_internal {
namespace {

constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
// A cycle longer than this is shown as its first and last few tasks.
constexpr size_t kShownHead = 4;
constexpr size_t kShownTail = 3;

bool IsPlainIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') ||
         std::string_view("_.:/@+=-").find(c) != std::string_view::npos;
}

// An id as a cycle path shows it: bare when that cannot be misread.
std::string ShownId(std::string_view id) {
  const bool plain = !id.empty() && id.size() <= 60 &&
                     std::all_of(id.begin(), id.end(), IsPlainIdChar) &&
                     id.find("->") == std::string_view::npos;
  return plain ? std::string(id) : Quote(id);
}

// "a -> b -> c -> a" for the cycle `path` (each task is after the next,
// and the last after the first), with the middle of long cycles elided.
std::string CycleText(const std::vector<TaskSpec>& tasks,
                      const std::vector<uint32_t>& path) {
  std::string text;
  auto append = [&](uint32_t row) {
    text += ShownId(tasks[row].id);
    text += " -> ";
  };
  if (path.size() <= kShownHead + kShownTail + 1) {
    for (uint32_t row : path) append(row);
  } else {
    for (size_t i = 0; i < kShownHead; ++i) append(path[i]);
    text += "... -> ";
    for (size_t i = path.size() - kShownTail; i < path.size(); ++i) {
      append(path[i]);
    }
  }
  text += ShownId(tasks[path[0]].id);
  return text;
}

// Tarjan's strongly connected components, with an explicit call stack.
class CycleFinder {
 public:
  CycleFinder(const std::vector<TaskSpec>& tasks, const ProblemSink& problem)
      : tasks_(tasks),
        problem_(problem),
        order_(tasks.size(), 0),
        low_(tasks.size(), 0),
        on_stack_(tasks.size(), false) {}

  void Run() {
    for (uint32_t row = 0; row < tasks_.size(); ++row) {
      if (order_[row] == 0 && !tasks_[row].after.empty()) Search(row);
    }
  }

 private:
  struct Frame {
    uint32_t row;
    uint32_t next;  // index of the next `after` entry to follow
  };

  void Enter(uint32_t row) {
    order_[row] = low_[row] = ++counter_;
    stack_.push_back(row);
    on_stack_[row] = true;
    calls_.push_back({row, 0});
  }

  void Search(uint32_t start) {
    Enter(start);
    while (!calls_.empty()) {
      const Frame frame = calls_.back();
      const std::vector<uint32_t>& after = tasks_[frame.row].after;
      if (frame.next < after.size()) {
        ++calls_.back().next;
        const uint32_t next = after[frame.next];
        if (order_[next] == 0) {
          Enter(next);
        } else if (on_stack_[next]) {
          low_[frame.row] = std::min(low_[frame.row], order_[next]);
        }
        continue;
      }
      calls_.pop_back();
      if (!calls_.empty()) {
        uint32_t& parent_low = low_[calls_.back().row];
        parent_low = std::min(parent_low, low_[frame.row]);
      }
      if (low_[frame.row] == order_[frame.row]) PopGroup(frame.row);
    }
  }

  // Pops the group whose first-entered task is `root` off the stack,
  // reporting it when it holds a cycle.
  void PopGroup(uint32_t root) {
    const size_t begin = static_cast<size_t>(
        std::find(stack_.rbegin(), stack_.rend(), root).base() -
        stack_.begin() - 1);
    const size_t count = stack_.size() - begin;
    // Self-references were dropped, so a group of one has no cycle.
    if (count > 1) {
      const uint32_t first = *std::min_element(
          stack_.begin() + static_cast<ptrdiff_t>(begin), stack_.end());
      Report(first, count);
    }
    for (size_t i = begin; i < stack_.size(); ++i) on_stack_[stack_[i]] = false;
    stack_.resize(begin);
  }

  // The shortest cycle through `first` within its group (the tasks still
  // on the stack), found breadth first.
  std::vector<uint32_t> ShortestCycle(uint32_t first) {
    if (parent_.empty()) parent_.assign(tasks_.size(), kNone);
    queue_.assign(1, first);
    parent_[first] = first;
    uint32_t last = kNone;
    for (size_t head = 0; head < queue_.size() && last == kNone; ++head) {
      const uint32_t row = queue_[head];
      for (uint32_t next : tasks_[row].after) {
        if (next == first) {
          last = row;
          break;
        }
        if (on_stack_[next] && parent_[next] == kNone) {
          parent_[next] = row;
          queue_.push_back(next);
        }
      }
    }
    std::vector<uint32_t> path;
    for (uint32_t row = last; row != first; row = parent_[row]) {
      path.push_back(row);
    }
    path.push_back(first);
    std::reverse(path.begin(), path.end());
    return path;
  }

  void Report(uint32_t first, size_t group_size) {
    const std::vector<uint32_t> path = ShortestCycle(first);
    std::string message = "dependency cycle";
    if (path.size() > kShownHead + kShownTail + 1) {
      message += " of " + std::to_string(path.size()) + " tasks";
    }
    message += ": " + CycleText(tasks_, path);
    if (group_size > path.size()) {
      const size_t others = group_size - path.size();
      message += "; " + std::to_string(others) + " other task" +
                 (others == 1 ? " is" : "s are") + " in cycles with these too";
    }
    problem_(tasks_[first].line, std::move(message));
  }

  const std::vector<TaskSpec>& tasks_;
  const ProblemSink& problem_;
  uint32_t counter_ = 0;
  std::vector<uint32_t> order_;  // 1-based visit order; 0: not visited
  std::vector<uint32_t> low_;
  std::vector<bool> on_stack_;
  std::vector<uint32_t> stack_;
  std::vector<Frame> calls_;
  std::vector<uint32_t> parent_;  // breadth-first search tree, lazily sized
  std::vector<uint32_t> queue_;
};

using simdjson::dom::array;
using simdjson::dom::element;

// The line number that `id` spells in canonical decimal (no sign, no leading
// zero), or 0 when it spells none.
uint64_t LineNumberIn(std::string_view id) {
  if (id.empty() || id.size() > 19 || id[0] == '0') return 0;
  uint64_t number = 0;
  for (char c : id) {
    if (c < '0' || c > '9') return 0;
    number = number * 10 + static_cast<uint64_t>(c - '0');
  }
  return number;
}

// The row among tasks[0, end) whose task is on `line`, or -1: rows are in
// line order.
int64_t RowOnLine(const std::vector<TaskSpec>& tasks, size_t end,
                  uint64_t line) {
  auto last = tasks.begin() + static_cast<std::ptrdiff_t>(end);
  auto it = std::lower_bound(
      tasks.begin(), last, line,
      [](const TaskSpec& task, uint64_t value) { return task.line < value; });
  if (it == last || it->line != line) return -1;
  return it - tasks.begin();
}

uint32_t HashOf(std::string_view id) {
  return static_cast<uint32_t>(std::hash<std::string_view>{}(id));
}

}  // namespace

int64_t IdTable::FindOrInsert(const std::vector<TaskSpec>& tasks,
                              uint32_t row) {
  const TaskSpec& task = tasks[row];
  const uint64_t number = LineNumberIn(task.id);
  if (number == task.line) {
    // Its own line: only a stored id can spell it already.
    return number <= largest_numeric_id_
               ? FindHashed(tasks, task.id, HashOf(task.id))
               : -1;
  }
  if (number != 0 && number < task.line) {
    int64_t earlier = RowOnLine(tasks, row, number);
    if (earlier >= 0 && tasks[static_cast<size_t>(earlier)].id == task.id) {
      return earlier;
    }
  }
  if (2 * (used_ + 1) > slots_.size()) {
    Rehash(slots_.empty() ? first_slot_count_ : 2 * slots_.size());
  }
  const uint32_t hash = HashOf(task.id);
  size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& slot = slots_[i];
    if (slot.row_plus_one == 0) {
      slot = {hash, row + 1};
      ++used_;
      largest_numeric_id_ = std::max(largest_numeric_id_, number);
      return -1;
    }
    if (slot.hash == hash && tasks[slot.row_plus_one - 1].id == task.id) {
      return slot.row_plus_one - 1;
    }
  }
}

int64_t IdTable::Find(const std::vector<TaskSpec>& tasks,
                      std::string_view id) const {
  int64_t stored = FindHashed(tasks, id, HashOf(id));
  if (stored >= 0) return stored;
  const uint64_t number = LineNumberIn(id);
  if (number == 0) return -1;
  int64_t row = RowOnLine(tasks, tasks.size(), number);
  if (row < 0 || tasks[static_cast<size_t>(row)].id != id) return -1;
  return row;
}

int64_t IdTable::FindHashed(const std::vector<TaskSpec>& tasks,
                            std::string_view id, uint32_t hash) const {
  if (slots_.empty()) return -1;
  size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.row_plus_one == 0) return -1;
    if (slot.hash == hash && tasks[slot.row_plus_one - 1].id == id) {
      return slot.row_plus_one - 1;
    }
  }
}

// Only sized now, allocated at the first stored id: in most manifests few
// ids are stored (see FindOrInsert), and a table for all would be megabytes
// of pages touched for nothing.
void IdTable::Reserve(size_t count) {
  size_t slot_count = 1024;
  while (slot_count < 2 * count && slot_count < kFirstSlotsAtMost) {
    slot_count *= 2;
  }
  first_slot_count_ = std::max(first_slot_count_, slot_count);
}

// Only the stored hash bits are needed to re-place a slot, but they index
// at most 2^32 slots, which is more than a row number can address anyway.
void IdTable::Rehash(size_t slot_count) {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(slot_count, Slot{});
  size_t mask = slot_count - 1;
  for (const Slot& slot : old) {
    if (slot.row_plus_one == 0) continue;
    size_t i = slot.hash & mask;
    while (slots_[i].row_plus_one != 0) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

void TaskReader::ReadAfter(element value, TaskSpec* task) {
  array items;
  if (value.get_array().get(items)) {
    return Problem("\"after\" must be an array of task ids; got " +
                   std::string(TypeName(value)));
  }
  keys_->clear();
  task->after.reserve(items.size());
  size_t index = 0;
  for (element item : items) {
    auto where = [&] { return "after[" + std::to_string(index) + "]"; };
    std::string_view id;
    uint32_t name = 0;
    if (item.get_string().get(id)) {
      Problem("\"after\" elements must be task ids (strings); " + where() +
              " is " + std::string(TypeName(item)));
    } else if (id.empty()) {
      Problem(where() + " is empty");
    } else if (!after_names_->Add(id, &name)) {
      Problem(
          "too many \"after\" entries in the manifest (the limit is "
          "2^32 - 1)");
    } else {
      keys_->push_back(id);
      task->after.push_back(name);
    }
    ++index;
  }
  CheckRepeatedAfterIds();
}

// Sorting views of the ids keeps a huge `after` list from taking quadratic
// time; typical lists have one or two ids.
void TaskReader::CheckRepeatedAfterIds() {
  if (keys_->size() < 2) return;
  std::sort(keys_->begin(), keys_->end());
  for (size_t i = 1; i < keys_->size(); ++i) {
    if ((*keys_)[i] == (*keys_)[i - 1] &&
        (i < 2 || (*keys_)[i] != (*keys_)[i - 2])) {
      Problem("\"after\" names " + Quote((*keys_)[i]) + " more than once");
    }
  }
}

bool NamePool::Add(std::string_view name, uint32_t* index) {
  if (ends_.size() >= kNone) return false;
  *index = static_cast<uint32_t>(ends_.size());
  bytes_.append(name);
  ends_.push_back(bytes_.size());
  return true;
}

std::string_view NamePool::Get(uint32_t index) const {
  const size_t begin = index == 0 ? 0 : ends_[index - 1];
  return std::string_view(bytes_).substr(begin, ends_[index] - begin);
}

void ResolveAfter(const NamePool& names, const IdTable& ids,
                  std::vector<TaskSpec>* tasks, const ProblemSink& problem) {
  if (names.size() == 0) return;
  for (size_t row = 0; row < tasks->size(); ++row) {
    TaskSpec& task = (*tasks)[row];
    size_t kept = 0;
    for (uint32_t index : task.after) {
      const std::string_view name = names.Get(index);
      const int64_t found = ids.Find(*tasks, name);
      if (found < 0) {
        problem(task.line,
                "\"after\" names " + Quote(name) + ", which no task has");
      } else if (static_cast<size_t>(found) == row) {
        problem(task.line, "\"after\" names " + Quote(name) +
                               ", the task itself: a task cannot wait for "
                               "its own end");
      } else {
        task.after[kept++] = static_cast<uint32_t>(found);
      }
    }
    task.after.resize(kept);
  }
  FindCycles(*tasks, problem);
}

void FindCycles(const std::vector<TaskSpec>& tasks,
                const ProblemSink& problem) {
  CycleFinder(tasks, problem).Run();
}

}  // namespace sortie::manifest_internal
