#include "master/scheduler.h"

namespace sortie {

Scheduler::Scheduler(uint32_t task_count) {
  for (uint32_t row = 0; row < task_count; ++row) pending_.push_back(row);
}

void Scheduler::AddRank(int rank, int slots) { free_slots_[rank] += slots; }

void Scheduler::RemoveRank(int rank) { free_slots_.erase(rank); }

void Scheduler::Release(int rank) {
  auto it = free_slots_.find(rank);
  if (it != free_slots_.end()) ++it->second;
}

std::vector<Placement> Scheduler::Place() {
  std::vector<Placement> placements;
  for (auto& [rank, slots] : free_slots_) {
    while (slots > 0 && !pending_.empty()) {
      placements.push_back(Placement{rank, pending_.front()});
      pending_.pop_front();
      --slots;
    }
  }
  return placements;
}

}  // namespace sortie
