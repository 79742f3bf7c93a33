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
  // Manifests repeat a few shapes many times: judge each shape once.
  std::map<ShapeKey, std::string> verdicts;
  std::vector<ManifestError> errors;
  for (const TaskSpec& spec : manifest.tasks) {
    TaskShape shape = ShapeOf(spec);
    auto [it, fresh] = verdicts.emplace(KeyOf(shape), std::string());
    if (fresh) it->second = Scheduler::WhyNeverFits(shape, capacities);
    if (!it->second.empty()) {
      errors.push_back(ManifestError{manifest.path, spec.line,
                                     "task \"" + spec.id + "\" " + it->second});
    }
  }
  return errors;
}

}  // namespace sortie
