#include "worker/worker.h"

#include <unistd.h>

#include <optional>
#include <string>

#include "common/stderr_line.h"

namespace sortie {
namespace {

// Forwards what the executor has to report; true when anything was sent.
bool Report(Transport& transport, Executor& executor) {
  if (!executor.Poll()) return false;
  StartedMsg started{executor.TakeStarted()};
  if (!started.tasks.empty()) {
    transport.SendMsg(0, MessageTag::kStarted, started);
  }
  FinishedMsg finished{executor.TakeFinished()};
  if (!finished.results.empty()) {
    transport.SendMsg(0, MessageTag::kFinished, finished);
  }
  return true;
}

// Starts an Assign's tasks in order. A batch of function tasks runs here,
// task after task: reporting every `report_every` of them lets the master
// refill this worker's queue while the rest of the batch runs, instead of
// the worker running dry at the end of each batch.
void StartAssigned(std::string_view payload, size_t report_every,
                   Transport& transport, Executor& executor,
                   Assignment* scratch) {
  AssignDecoder tasks(payload);
  size_t since_report = 0;
  while (tasks.Next(scratch)) {
    executor.Start(*scratch);
    if (++since_report >= report_every) {
      Report(transport, executor);
      since_report = 0;
    }
  }
}

// Handles every message that has arrived; sets `shutdown` when told to stop.
bool HandleMessages(Transport& transport, Executor& executor,
                    size_t report_every, std::optional<ShutdownMsg>* shutdown) {
  // Reused for every task: its strings keep their buffers.
  Assignment scratch;
  bool active = false;
  while (!*shutdown) {
    std::optional<Envelope> envelope = transport.Poll();
    if (!envelope) break;
    active = true;
    switch (static_cast<MessageTag>(envelope->tag)) {
      case MessageTag::kAssign:
        StartAssigned(envelope->payload, report_every, transport, executor,
                      &scratch);
        break;
      case MessageTag::kShutdown:
        *shutdown = Decode<ShutdownMsg>(envelope->payload);
        break;
      case MessageTag::kDrain:
        executor.Interrupt();
        break;
      default:
        throw ProtocolError("worker got unexpected " + TagName(envelope->tag) +
                            " from rank " + std::to_string(envelope->source));
    }
  }
  return active;
}

}  // namespace

int RunWorker(Transport& transport, Executor& executor, Clock& clock,
              const NodeResources& node, const WorkerTiming& timing) {
  HelloMsg hello;
  hello.rank = transport.rank();
  hello.host = node.host;
  hello.pid = getpid();
  hello.cpu_ids = node.cpu_ids;
  hello.gpu_ids = node.gpu_ids;
  transport.SendMsg(0, MessageTag::kHello, hello);

  Backoff backoff(timing.min_idle_wait, timing.max_idle_wait,
                  timing.idle_linger);
  Backoff running_backoff(timing.first_child_wait, timing.child_wait);
  std::optional<ShutdownMsg> shutdown;
  bool draining = false;
  while (!shutdown) {
    if (!draining && timing.drain_requested()) {
      executor.Interrupt();
      draining = true;
    }
    bool active =
        HandleMessages(transport, executor, timing.report_every, &shutdown);
    active = Report(transport, executor) || active;
    if (active) {
      backoff.Reset();
      running_backoff.Reset();
    } else if (executor.Running() > 0) {
      // Waits on the children: briefly right after a report (the master's
      // answer comes within a millisecond), then longer, up to child_wait.
      executor.Wait(running_backoff.Next());
    } else {
      clock.SleepFor(backoff.Next());
    }
  }
  PollUntil(clock, [&] { return transport.Flushed(); });
  if (!shutdown->reason.empty()) {
    WriteToStderr("sortie: rank " + std::to_string(transport.rank()) + ": " +
                  shutdown->reason + "\n");
  }
  return shutdown->exit_code;
}

}  // namespace sortie
