// What this rank can give to tasks: its host, the CPUs and GPUs it owns.
// Ranks sharing a host split its CPUs and GPUs evenly; with --virtual-nodes
// every rank presents itself as a whole node of the configured size.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sortie {

/// The resources one rank offers the scheduler, as one node. Core index i of
/// the node is logical CPU cpu_ids[i]; GPU index i is device gpu_ids[i].
struct NodeResources {
  std::string host;
  std::vector<int32_t> cpu_ids;
  std::vector<int32_t> gpu_ids;
};

/// Command-line overrides of what is detected.
struct NodeOverrides {
  int32_t cores_per_node = 0;  ///< > 0: present this many cores per node
  int32_t gpus_per_node = -1;  ///< >= 0: present this many GPUs per node
  bool virtual_nodes = false;  ///< every rank is a node of its own
};

/// Where this rank sits among the ranks on its host.
struct HostPlacement {
  int32_t local_rank = 0;
  int32_t local_size = 1;
};

/// Logical CPUs this process may run on (sched_getaffinity), ascending.
std::vector<int32_t> AllowedCpus();

/// GPU device ids visible on this host: NVIDIA (/proc/driver/nvidia/gpus),
/// AMD (KFD topology); empty when none is found.
std::vector<int32_t> DetectGpus();

/// This rank's share of a host's CPUs and GPUs. Without virtual nodes, the
/// host's resources (overridden counts taken from the front, or wrapped
/// round when larger than what exists) are split evenly among the ranks on
/// it. With virtual nodes, each rank presents a whole node of the overridden
/// size (default: its share), whose cores map round-robin onto the CPUs the
/// rank really has, so binding stays valid on a small test machine. A rank
/// always offers at least one core (shared when ranks outnumber CPUs).
NodeResources ShareOfHost(const std::string& host,
                          const std::vector<int32_t>& cpus,
                          const std::vector<int32_t>& gpus,
                          const HostPlacement& placement,
                          const NodeOverrides& overrides);

}  // namespace sortie
