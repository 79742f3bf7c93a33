// The allocations a run ran in: each one's nodes (rows of /nodes) and time
// span (a row of /allocations). Both come from the journal, so a run resumed
// in a new allocation still describes the nodes its earlier attempts ran on.
#pragma once

#include <cstdint>
#include <string>

#include "common/task.h"

namespace sortie {

/// One node of an allocation as the scheduler saw it (a row of /nodes).
struct NodeRecord {
  int32_t rank = -1;  ///< the pilot rank serving the node
  std::string host;
  int32_t cores = 0;
  int32_t gpus = 0;
  /// Which allocation of the run: 0 for the first, 1 after the first
  /// resume, ... (set when the journal is applied, not journaled per node).
  int32_t allocation = 0;

  /// True when every field is equal.
  bool operator==(const NodeRecord& other) const = default;
};

/// One allocation the run ran in (a row of /allocations).
struct AllocationRecord {
  double started_at = kNoTime;  ///< its RunStarted or RunResumed time
  /// Its RunFinished time; for one that stopped without one (a crash), the
  /// latest time it recorded, set when the next allocation resumes the run;
  /// NaN while it runs.
  double ended_at = kNoTime;
  int32_t ranks = 0;  ///< MPI ranks (world size), the master included
  int32_t nodes = 0;  ///< its /nodes rows; 0 when its journal did not list them
};

}  // namespace sortie
