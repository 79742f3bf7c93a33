// Refusing, before anything runs, a task that could never run on this
// allocation: a user learns it in the first second, not after the queue wait.
#pragma once

#include <vector>

#include "master/manifest.h"
#include "master/roster.h"
#include "master/scheduler.h"

namespace sortie {

/// One FILE:LINE error per task of `manifest` whose request can never be met
/// by `nodes` (too many nodes, cores or GPUs; a function task with no worker
/// rank to run it). Empty when every task can run.
std::vector<ManifestError> CheckFits(const Manifest& manifest,
                                     const std::vector<ClusterNode>& nodes);

/// The same check against nodes described by their capacities only (for
/// `sortie simulate`, whose nodes have no CPU ids).
std::vector<ManifestError> CheckFits(const Manifest& manifest,
                                     const std::vector<NodeCapacity>& nodes);

}  // namespace sortie
