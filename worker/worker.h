// The worker side of the protocol: say hello, run what the master assigns,
// report starts and ends, stop when told.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "common/clock.h"
#include "common/transport.h"
#include "worker/executor.h"
#include "worker/node_discovery.h"

namespace sortie {

/// How a worker waits. It never blocks in MPI: with a task running it waits on
/// the task's process (waking the moment it ends), otherwise it sleeps with
/// back-off between polls.
struct WorkerTiming {
  double min_idle_wait = 20e-6;
  /// Shortest waits kept up after any activity before backing off: more
  /// work for short tasks follows within a few milliseconds.
  int idle_linger = 32;
  double max_idle_wait = 4e-3;
  /// Tasks of one Assign started between reports: a long batch of function
  /// tasks is reported in parts while it runs.
  size_t report_every = 256;
  /// Longest wait on a running child before checking messages again: how
  /// late, at most, a worker whose tasks all run on sees a message. Each
  /// wake-up costs ~150 us of CPU on a virtual machine: 20 a second keep a
  /// worker watching long tasks well under 1% of a core.
  double child_wait = 0.05;
  /// First wait on running children after any activity, doubling up to
  /// child_wait: short enough to catch the master's answer to a report soon,
  /// long enough not to take the CPU from the tasks being started.
  double first_child_wait = 1e-3;
  /// True once this process was asked to stop (a signal): drain.
  std::function<bool()> drain_requested = [] { return false; };
};

/// Runs the worker loop on `transport` until the master's Shutdown, offering
/// `node` in its hello; returns the exit code the master asked for. Throws
/// ProtocolError on a message it cannot understand.
int RunWorker(Transport& transport, Executor& executor, Clock& clock,
              const NodeResources& node, const WorkerTiming& timing = {});

}  // namespace sortie
