#include "master/spec_hashes.h"

#include <algorithm>

#include "common/idle_priority.h"

namespace sortie {
namespace {

// Rows published at a time: often enough that the loop rarely hashes for
// itself, rarely enough that the atomic store costs nothing.
constexpr size_t kPublishEvery = 1024;

}  // namespace

SpecHashesAhead::SpecHashesAhead(const RunState& state)
    : state_(state),
      rows_(state.specs().size()),
      hashes_(new uint64_t[rows_]),
      thread_([this] { Run(); }) {}

SpecHashesAhead::~SpecHashesAhead() {
  stop_.store(true, std::memory_order_relaxed);
  thread_.join();
}

uint64_t SpecHashesAhead::Get(uint32_t row) const {
  if (row < ready_.load(std::memory_order_acquire)) return hashes_[row];
  return state_.SpecHash(row);
}

void SpecHashesAhead::Run() {
  LowerThisThreadsPriority();
  for (size_t first = 0; first < rows_; first += kPublishEvery) {
    if (stop_.load(std::memory_order_relaxed)) return;
    const size_t end = std::min(rows_, first + kPublishEvery);
    for (size_t row = first; row < end; ++row) {
      hashes_[row] = state_.SpecHash(static_cast<uint32_t>(row));
    }
    ready_.store(end, std::memory_order_release);
  }
}

}  // namespace sortie
