#include "master/fit_check.h"

#include <map>
#include <tuple>

#include "master/master.h"
#include "master/scheduler.h"

namespace sortie {
namespace {

using ShapeKey = std::tuple<int32_t, int32_t, int32_t, int32_t, bool>;

ShapeKey KeyOf(const TaskShape& shape) {
  return {shape.nodes, shape.ranks_per_node, shape.cores_per_rank,
          shape.gpus_per_rank, shape.function};
}

}  // namespace

std::vector<ManifestError> CheckFits(const Manifest& manifest,
                                     const std::vector<ClusterNode>& nodes) {
  std::vector<NodeCapacity> capacities;
  for (const ClusterNode& node : nodes) {
    capacities.push_back(NodeCapacity{static_cast<int32_t>(node.cpu_ids.size()),
                                      static_cast<int32_t>(node.gpu_ids.size()),
                                      node.runs_functions});
  }
  return CheckFits(manifest, capacities);
}

std::vector<ManifestError> CheckFits(
    const Manifest& manifest, const std::vector<NodeCapacity>& capacities) {
  // Manifests repeat a few shapes many times: judge each shape once, and
  // look a shape up only when it differs from the previous task's.
  std::map<ShapeKey, std::string> verdicts;
  std::vector<ManifestError> errors;
  const std::string* verdict = nullptr;
  ShapeKey last_key;
  for (const TaskSpec& spec : manifest.tasks) {
    const TaskShape shape = ShapeOf(spec);
    const ShapeKey key = KeyOf(shape);
    if (verdict == nullptr || key != last_key) {
      auto [it, fresh] = verdicts.try_emplace(key);
      if (fresh) it->second = Scheduler::WhyNeverFits(shape, capacities);
      verdict = &it->second;
      last_key = key;
    }
    if (!verdict->empty()) {
      errors.push_back(ManifestError{manifest.path, spec.line,
                                     "task \"" + spec.id + "\" " + *verdict});
    }
  }
  return errors;
}

}  // namespace sortie
