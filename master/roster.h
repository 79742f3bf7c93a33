// The allocation as the master sees it: every rank's hello, gathered before
// anything runs, turned into the list of nodes the scheduler packs.
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/protocol.h"
#include "common/transport.h"
#include "master/run_file.h"
#include "worker/node_discovery.h"

namespace sortie {

/// One node the scheduler can use, and the rank that serves it.
struct ClusterNode {
  int32_t rank = -1;
  std::string host;
  std::vector<int32_t> cpu_ids;  ///< core index -> logical CPU
  std::vector<int32_t> gpu_ids;  ///< GPU index -> device id
  /// False for rank 0: the master never runs function tasks itself.
  bool runs_functions = true;

  /// The row of /nodes describing this node.
  NodeRecord Record() const;
};

/// Waits (polling with back-off, never blocking in MPI) until every other
/// rank has said hello; returns the hellos in rank order. Sets `problem`
/// when a rank speaks another protocol version.
std::vector<HelloMsg> GatherHellos(Transport& transport, Clock& clock,
                                   std::string* problem);

/// The nodes of the run, in rank order: rank 0's own node first unless
/// `master_only`, then one per worker hello.
std::vector<ClusterNode> BuildRoster(const NodeResources& master_node,
                                     bool master_only,
                                     const std::vector<HelloMsg>& hellos);

/// One warning line ("sortie: warning: host H runs R ranks on C CPUs: ...")
/// for each host whose ranks in `nodes` outnumber the distinct CPUs they
/// offer: ranks then share cores, and tasks pinned to them compete. Hosts
/// in order of first appearance; none when every rank has a core of its own.
std::vector<std::string> SharedCoreWarnings(
    const std::vector<ClusterNode>& nodes);

/// Sends every worker Shutdown(exit_code, reason) and waits for the sends.
void DismissWorkers(Transport& transport, Clock& clock, int exit_code,
                    const std::string& reason);

}  // namespace sortie
