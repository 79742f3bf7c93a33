// Node indexes behind the scheduler (master/scheduler.h): which node fits a
// task best, and which nodes will drain soonest. Internal to the scheduler;
// they know nodes only as numbers with capacities, never tasks.
//
// Every query takes `exclude`: a node to leave out (-1: none), so that a
// task may be kept off one node (the master's, for function tasks) without
// an index per eligibility; leaving it out costs O(1) or O(log n) more.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

namespace sortie {

/// A node's capacity as an index key, (GPUs, cores): ordering by it prefers
/// nodes with fewer GPUs, so CPU-only work leaves GPU nodes alone.
using CapacityKey = std::pair<int32_t, int32_t>;

/// The free cores and GPUs of one pool of nodes, indexed so that a best-fit
/// query costs O(log n) per distinct free-GPU count present.
class FreeNodeIndex {
 public:
  /// What the index knows of one node; Erase must get what Insert got.
  struct Entry {
    int32_t node = -1;
    int32_t free_cores = 0;
    int32_t free_gpus = 0;
    CapacityKey capacity;
  };
  /// Adds a node that is not in the index yet.
  void Insert(const Entry& entry);
  /// Removes a node added with the same Entry.
  void Erase(const Entry& entry);
  /// Best fit for one slice: among nodes other than `exclude` with at least
  /// `cores` and `gpus` free, the one with the fewest free GPUs, then the
  /// fewest free cores, then the lowest index; -1 when there is none.
  int32_t FindPack(int64_t cores, int64_t gpus, int32_t exclude) const;
  /// How many wholly free nodes other than `exclude` have at least `cores`
  /// and `gpus`.
  int64_t CountWhole(int64_t cores, int64_t gpus, int32_t exclude) const;
  /// Appends up to `count` wholly free nodes other than `exclude` with at
  /// least `cores` and `gpus` to `out`: fewest GPUs, then fewest cores, then
  /// lowest index.
  void PickWhole(int64_t cores, int64_t gpus, int64_t count, int32_t exclude,
                 std::vector<int32_t>* out) const;
  /// Free cores summed over every node in the index.
  int64_t free_cores() const { return free_cores_; }

 private:
  /// free GPUs -> (free cores, node).
  std::map<int32_t, std::set<std::pair<int32_t, int32_t>>> pack_;
  /// capacity -> wholly free nodes of that capacity.
  std::map<CapacityKey, std::set<int32_t>> whole_;
  int64_t free_cores_ = 0;
};

/// Live nodes ordered by when they are expected to become wholly free, per
/// capacity: where a blocked task should wait.
class DrainIndex {
 public:
  /// What the index knows of one node; Erase must get what Insert got.
  struct Entry {
    double free_at = 0;  ///< -inf: idle; +inf: some task's end is unknown
    int32_t busy_cores = 0;
    int32_t busy_gpus = 0;
    int32_t node = -1;
    CapacityKey capacity;
  };
  /// Adds a node that is not in the index yet.
  void Insert(const Entry& entry);
  /// Removes a node added with the same Entry.
  void Erase(const Entry& entry);
  /// How many nodes other than `exclude` have at least `cores` and `gpus`
  /// in all.
  int64_t CountCapable(int64_t cores, int64_t gpus, int32_t exclude) const;
  /// Up to `count` nodes other than `exclude` with at least `cores` and
  /// `gpus` in all, soonest free first; ties go to fewer busy cores, fewer
  /// busy GPUs, lower index.
  std::vector<int32_t> Soonest(int64_t cores, int64_t gpus, int64_t count,
                               int32_t exclude) const;

 private:
  using Key = std::tuple<double, int32_t, int32_t, int32_t>;
  std::map<CapacityKey, std::set<Key>> by_capacity_;
  /// node -> its capacity while it is in the index: whether `exclude`
  /// would have been counted, in O(1). Node numbers are dense.
  std::vector<std::optional<CapacityKey>> member_;
};

}  // namespace sortie
