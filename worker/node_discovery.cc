#include "worker/node_discovery.h"

#include <sched.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

namespace sortie {
namespace {

namespace fs = std::filesystem;

// Entries of `dir` (none when it does not exist).
size_t CountEntries(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return 0;
  size_t count = 0;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    ++count;
  }
  return count;
}

// AMD GPUs appear as KFD topology nodes with a non-zero gpu_id (CPUs have 0).
size_t CountAmdGpus() {
  const fs::path nodes = "/sys/class/kfd/kfd/topology/nodes";
  std::error_code ec;
  if (!fs::is_directory(nodes, ec)) return 0;
  size_t count = 0;
  for (const auto& entry : fs::directory_iterator(nodes, ec)) {
    std::ifstream in(entry.path() / "gpu_id");
    long id = 0;
    if (in >> id && id != 0) ++count;
  }
  return count;
}

// `count` ids from `pool`, wrapping round when the pool is smaller.
std::vector<int32_t> TakeWrapped(const std::vector<int32_t>& pool,
                                 size_t count) {
  std::vector<int32_t> ids;
  ids.reserve(count);
  for (size_t i = 0; i < count && !pool.empty(); ++i) {
    ids.push_back(pool[i % pool.size()]);
  }
  return ids;
}

// The `part`-th of `parts` even slices of `ids` (earlier slices get the
// remainder).
std::vector<int32_t> Slice(const std::vector<int32_t>& ids, int32_t part,
                           int32_t parts) {
  size_t n = ids.size(), p = static_cast<size_t>(part),
         k = static_cast<size_t>(parts);
  size_t begin = p * (n / k) + std::min(p, n % k);
  size_t size = n / k + (p < n % k ? 1 : 0);
  return std::vector<int32_t>(ids.begin() + static_cast<long>(begin),
                              ids.begin() + static_cast<long>(begin + size));
}

std::vector<int32_t> Iota(size_t count) {
  std::vector<int32_t> ids(count);
  for (size_t i = 0; i < count; ++i) ids[i] = static_cast<int32_t>(i);
  return ids;
}

}  // namespace

std::vector<int32_t> AllowedCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int32_t> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (size_t cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &set)) cpus.push_back(static_cast<int32_t>(cpu));
    }
  }
  if (cpus.empty()) cpus.push_back(0);
  return cpus;
}

std::vector<int32_t> DetectGpus() {
  size_t count = CountEntries("/proc/driver/nvidia/gpus");
  if (count == 0) count = CountAmdGpus();
  return Iota(count);
}

NodeResources ShareOfHost(const std::string& host,
                          const std::vector<int32_t>& cpus,
                          const std::vector<int32_t>& gpus,
                          const HostPlacement& placement,
                          const NodeOverrides& overrides) {
  NodeResources node;
  node.host = host;
  if (overrides.virtual_nodes) {
    std::vector<int32_t> my_cpus =
        Slice(cpus, placement.local_rank, placement.local_size);
    if (my_cpus.empty()) my_cpus = cpus;  // more ranks than CPUs: share
    size_t cores = overrides.cores_per_node > 0
                       ? static_cast<size_t>(overrides.cores_per_node)
                       : my_cpus.size();
    node.cpu_ids = TakeWrapped(my_cpus, cores);
    node.gpu_ids =
        overrides.gpus_per_node >= 0
            ? Iota(static_cast<size_t>(overrides.gpus_per_node))
            : Slice(gpus, placement.local_rank, placement.local_size);
    return node;
  }
  std::vector<int32_t> host_cpus =
      overrides.cores_per_node > 0
          ? TakeWrapped(cpus, static_cast<size_t>(overrides.cores_per_node))
          : cpus;
  std::vector<int32_t> host_gpus =
      overrides.gpus_per_node >= 0
          ? Iota(static_cast<size_t>(overrides.gpus_per_node))
          : gpus;
  node.cpu_ids = Slice(host_cpus, placement.local_rank, placement.local_size);
  if (node.cpu_ids.empty() && !host_cpus.empty()) {
    // More ranks than CPUs on the host: every rank still offers one core,
    // shared with others, rather than being a node nothing fits on.
    size_t share = static_cast<size_t>(placement.local_rank) % host_cpus.size();
    node.cpu_ids = {host_cpus[share]};
  }
  node.gpu_ids = Slice(host_gpus, placement.local_rank, placement.local_size);
  return node;
}

}  // namespace sortie
