// Messages for users about shapes that can never run: checked when the
// manifest is loaded, so each names the numbers the user wrote.
#include <algorithm>
#include <string>
#include <vector>

#include "master/scheduler.h"

namespace sortie {
namespace {

std::string Count(int64_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

// "6 cores per node (3 ranks x 2 cores)".
std::string PerNode(int64_t total, int32_t ranks, int32_t per_rank,
                    const std::string& noun) {
  return Count(total, noun) + " per node (" + Count(ranks, "rank") + " x " +
         Count(per_rank, noun) + ")";
}

std::string Most(bool same, int64_t most) {
  return (same ? "" : "at most ") + std::to_string(most);
}

}  // namespace

std::string Scheduler::ShapeProblem(const TaskShape& s) {
  if (s.nodes < 1) {
    return "asks for " + Count(s.nodes, "node") + "; a task needs at least 1";
  }
  if (s.ranks_per_node < 1) {
    return "asks for " + Count(s.ranks_per_node, "rank") +
           " per node; a task needs at least 1";
  }
  if (s.cores_per_rank < 1) {
    return "asks for " + Count(s.cores_per_rank, "core") +
           " per rank; each rank needs at least 1";
  }
  if (s.gpus_per_rank < 0) {
    return "asks for " + std::to_string(s.gpus_per_rank) +
           " GPUs per rank; the count cannot be negative";
  }
  return "";
}

std::string Scheduler::WhyNeverFits(const TaskShape& shape,
                                    const std::vector<NodeCapacity>& nodes) {
  if (std::string problem = ShapeProblem(shape); !problem.empty()) {
    return problem;
  }
  const int64_t cores = int64_t{shape.ranks_per_node} * shape.cores_per_rank;
  const int64_t gpus = int64_t{shape.ranks_per_node} * shape.gpus_per_rank;
  const auto total = static_cast<int64_t>(nodes.size());
  // A function task sees only the nodes that run functions (the workers);
  // the messages then say "worker node" so the user knows why.
  std::vector<NodeCapacity> usable;
  for (const NodeCapacity& n : nodes) {
    if (n.runs_functions || !shape.function) usable.push_back(n);
  }
  const auto eligible = static_cast<int64_t>(usable.size());
  const std::string node = eligible < total ? "worker node" : "node";
  if (total > 0 && eligible == 0) {
    return "is a function task, which runs only on worker ranks; the "
           "allocation has none (start more than one rank, or use a command)";
  }
  if (shape.nodes > total) {
    return "asks for " + Count(shape.nodes, "node") + "; the allocation has " +
           std::to_string(total);
  }
  if (shape.nodes > eligible) {
    return "asks for " + Count(shape.nodes, "node") + "; only " +
           Count(eligible, node) + " can run functions";
  }
  int64_t capable = 0, max_cores = 0, max_gpus = 0;
  bool same_cores = true, same_gpus = true;
  for (const NodeCapacity& n : usable) {
    if (n.cores >= cores && n.gpus >= gpus) ++capable;
    same_cores = same_cores && n.cores == usable.front().cores;
    same_gpus = same_gpus && n.gpus == usable.front().gpus;
    max_cores = std::max<int64_t>(max_cores, n.cores);
    max_gpus = std::max<int64_t>(max_gpus, n.gpus);
  }
  if (capable >= shape.nodes) return "";
  if (cores > max_cores) {
    return "asks for " +
           PerNode(cores, shape.ranks_per_node, shape.cores_per_rank, "core") +
           "; " + node + "s have " + Most(same_cores, max_cores);
  }
  if (gpus > max_gpus) {
    return "asks for " +
           PerNode(gpus, shape.ranks_per_node, shape.gpus_per_rank, "GPU") +
           "; " + node + "s have " + Most(same_gpus, max_gpus);
  }
  const std::string need =
      Count(cores, "core") + (gpus > 0 ? " and " + Count(gpus, "GPU") : "");
  if (capable == 0) {
    return "asks for " + need + " per node; no " + node + " has both";
  }
  return "asks for " + Count(shape.nodes, "node") + " with " + need +
         " each; only " + std::to_string(capable) + " of the " +
         std::to_string(eligible) + " " + node + "s have that";
}

}  // namespace sortie
