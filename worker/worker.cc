#include "worker/worker.h"

#include <unistd.h>

#include <iostream>
#include <optional>

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

// Handles every message that has arrived; sets `shutdown` when told to stop.
bool HandleMessages(Transport& transport, Executor& executor,
                    std::optional<ShutdownMsg>* shutdown) {
  bool active = false;
  while (!*shutdown) {
    std::optional<Envelope> envelope = transport.Poll();
    if (!envelope) break;
    active = true;
    switch (static_cast<MessageTag>(envelope->tag)) {
      case MessageTag::kAssign:
        for (const Assignment& a : Decode<AssignMsg>(envelope->payload).tasks) {
          executor.Start(a);
        }
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
  std::optional<ShutdownMsg> shutdown;
  bool draining = false;
  while (!shutdown) {
    if (!draining && timing.drain_requested()) {
      executor.Interrupt();
      draining = true;
    }
    bool active = HandleMessages(transport, executor, &shutdown);
    active = Report(transport, executor) || active;
    if (active) {
      backoff.Reset();
    } else if (executor.Running() > 0) {
      executor.Wait(timing.child_wait);
    } else {
      clock.SleepFor(backoff.Next());
    }
  }
  PollUntil(clock, [&] { return transport.Flushed(); });
  if (!shutdown->reason.empty()) {
    std::cerr << "sortie: rank " << transport.rank() << ": " << shutdown->reason
              << "\n";
  }
  return shutdown->exit_code;
}

}  // namespace sortie
