#include "master/scheduler_index.h"

#include <limits>

namespace sortie {
namespace {

constexpr int32_t kMinInt = std::numeric_limits<int32_t>::min();

bool Holds(const CapacityKey& capacity, int64_t cores, int64_t gpus) {
  return capacity.first >= gpus && capacity.second >= cores;
}

bool IsWhole(const FreeNodeIndex::Entry& e) {
  return e.free_gpus == e.capacity.first && e.free_cores == e.capacity.second;
}

// Keys are int32; a need beyond that range fits nowhere.
bool InRange(int64_t value) {
  return value <= std::numeric_limits<int32_t>::max();
}

}  // namespace

void FreeNodeIndex::Insert(const Entry& entry) {
  pack_[entry.free_gpus].emplace(entry.free_cores, entry.node);
  if (IsWhole(entry)) whole_[entry.capacity].insert(entry.node);
  free_cores_ += entry.free_cores;
}

void FreeNodeIndex::Erase(const Entry& entry) {
  auto bucket = pack_.find(entry.free_gpus);
  bucket->second.erase({entry.free_cores, entry.node});
  if (bucket->second.empty()) pack_.erase(bucket);
  if (IsWhole(entry)) {
    auto nodes = whole_.find(entry.capacity);
    nodes->second.erase(entry.node);
    if (nodes->second.empty()) whole_.erase(nodes);
  }
  free_cores_ -= entry.free_cores;
}

int32_t FreeNodeIndex::FindPack(int64_t cores, int64_t gpus,
                                int32_t exclude) const {
  if (!InRange(cores) || !InRange(gpus)) return -1;
  // Fewest free GPUs first: a CPU task should not use up a GPU node.
  for (auto it = pack_.lower_bound(static_cast<int32_t>(gpus));
       it != pack_.end(); ++it) {
    auto fit = it->second.lower_bound({static_cast<int32_t>(cores), kMinInt});
    // The excluded node is at most one entry: the next one fits too.
    if (fit != it->second.end() && fit->second == exclude) ++fit;
    if (fit != it->second.end()) return fit->second;
  }
  return -1;
}

int64_t FreeNodeIndex::CountWhole(int64_t cores, int64_t gpus,
                                  int32_t exclude) const {
  int64_t count = 0;
  for (const auto& [capacity, nodes] : whole_) {
    if (!Holds(capacity, cores, gpus)) continue;
    count += static_cast<int64_t>(nodes.size());
    if (exclude >= 0 && nodes.contains(exclude)) --count;
  }
  return count;
}

void FreeNodeIndex::PickWhole(int64_t cores, int64_t gpus, int64_t count,
                              int32_t exclude,
                              std::vector<int32_t>* out) const {
  int64_t picked = 0;
  for (const auto& [capacity, nodes] : whole_) {
    if (!Holds(capacity, cores, gpus)) continue;
    for (int32_t node : nodes) {
      if (picked == count) return;
      if (node == exclude) continue;
      out->push_back(node);
      ++picked;
    }
  }
}

void DrainIndex::Insert(const Entry& entry) {
  by_capacity_[entry.capacity].emplace(entry.free_at, entry.busy_cores,
                                       entry.busy_gpus, entry.node);
  const auto node = static_cast<size_t>(entry.node);
  if (node >= member_.size()) member_.resize(node + 1);
  member_[node] = entry.capacity;
}

void DrainIndex::Erase(const Entry& entry) {
  auto it = by_capacity_.find(entry.capacity);
  it->second.erase(
      {entry.free_at, entry.busy_cores, entry.busy_gpus, entry.node});
  if (it->second.empty()) by_capacity_.erase(it);
  member_[static_cast<size_t>(entry.node)].reset();
}

int64_t DrainIndex::CountCapable(int64_t cores, int64_t gpus,
                                 int32_t exclude) const {
  int64_t count = 0;
  for (const auto& [capacity, nodes] : by_capacity_) {
    if (Holds(capacity, cores, gpus))
      count += static_cast<int64_t>(nodes.size());
  }
  if (exclude >= 0 && static_cast<size_t>(exclude) < member_.size()) {
    const std::optional<CapacityKey>& capacity =
        member_[static_cast<size_t>(exclude)];
    if (capacity && Holds(*capacity, cores, gpus)) --count;
  }
  return count;
}

std::vector<int32_t> DrainIndex::Soonest(int64_t cores, int64_t gpus,
                                         int64_t count, int32_t exclude) const {
  // A merge over the capacities that qualify: few of them, so a linear
  // minimum per step is cheaper than a heap.
  using Iter = std::set<Key>::const_iterator;
  std::vector<std::pair<Iter, Iter>> runs;
  for (const auto& [capacity, nodes] : by_capacity_) {
    if (Holds(capacity, cores, gpus))
      runs.emplace_back(nodes.begin(), nodes.end());
  }
  std::vector<int32_t> out;
  while (static_cast<int64_t>(out.size()) < count) {
    std::pair<Iter, Iter>* best = nullptr;
    for (auto& run : runs) {
      // The excluded node is skipped where it comes up, once.
      if (run.first != run.second && std::get<3>(*run.first) == exclude) {
        ++run.first;
      }
      if (run.first == run.second) continue;
      if (best == nullptr || *run.first < *best->first) best = &run;
    }
    if (best == nullptr) break;
    out.push_back(std::get<3>(*best->first));
    ++best->first;
  }
  return out;
}

}  // namespace sortie
