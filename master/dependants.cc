#include "master/dependants.h"

namespace sortie {

Dependants::Dependants(const std::vector<TaskSpec>& specs) {
  size_t edges = 0;
  for (const TaskSpec& spec : specs) edges += spec.after.size();
  if (edges == 0) return;
  first_.assign(specs.size() + 1, 0);
  for (const TaskSpec& spec : specs) {
    for (uint32_t before : spec.after) ++first_[before + 1];
  }
  for (size_t i = 1; i < first_.size(); ++i) first_[i] += first_[i - 1];
  rows_.resize(edges);
  std::vector<size_t> next(first_.begin(), first_.end() - 1);
  for (uint32_t row = 0; row < specs.size(); ++row) {
    for (uint32_t before : specs[row].after) rows_[next[before]++] = row;
  }
}

}  // namespace sortie
