#include "fakes.h"

#include <unistd.h>

#include <algorithm>

namespace sortie::testing {

SimulatedCluster::SimulatedCluster(int size, FakeClock& clock, RunFn run,
                                   bool send_hellos, uint32_t protocol_version)
    : size_(size), clock_(clock), run_(std::move(run)) {
  for (int rank = 1; send_hellos && rank < size; ++rank) {
    HelloMsg hello{protocol_version, rank, "node" + std::to_string(rank), rank,
                   {0, 1},           {}};
    Deliver(rank, MessageTag::kHello, Encode(hello));
  }
}

std::vector<ClusterNode> Nodes(int first_rank, int count, int cores, int gpus) {
  std::vector<ClusterNode> nodes;
  for (int rank = first_rank; rank < first_rank + count; ++rank) {
    ClusterNode node;
    node.rank = rank;
    node.host = "node" + std::to_string(rank);
    for (int i = 0; i < cores; ++i) node.cpu_ids.push_back(i);
    for (int i = 0; i < gpus; ++i) node.gpu_ids.push_back(i);
    node.runs_functions = rank != 0;
    nodes.push_back(node);
  }
  return nodes;
}

void SimulatedCluster::Deliver(int source, MessageTag tag,
                               std::string payload) {
  inbox_.push_back(Envelope{source, static_cast<int>(tag), std::move(payload)});
}

void SimulatedCluster::Send(int dest, MessageTag tag, std::string payload) {
  if (tag == MessageTag::kShutdown) {
    shutdowns[dest] = Decode<ShutdownMsg>(payload);
    return;
  }
  if (tag == MessageTag::kDrain) {
    // The rank interrupts everything it runs: each ends now, INTERRUPTED.
    drained.push_back(dest);
    for (Pending& pending : running_) {
      if (pending.source != dest) continue;
      pending.due = clock_.Monotonic();
      pending.result.end_time = clock_.Now();
      pending.result.cause = EndCause::kInterrupted;
      pending.result.exit_code = -1;
      pending.result.signal = 15;
    }
    return;
  }
  if (tag != MessageTag::kAssign) return;
  ++assign_messages;
  StartedMsg started;
  for (const Assignment& a : Decode<AssignMsg>(payload).tasks) {
    assignments.emplace_back(a, dest);
    const auto before = std::make_pair(dest, static_cast<uint32_t>(a.follows));
    if (a.follows >= 0 && active_.count(before) > 0) {
      active_.emplace(dest, a.row);
      waiting_.emplace(before, a);
      continue;
    }
    StartRun(a, dest, &started);
  }
  if (!started.tasks.empty()) {
    Deliver(dest, MessageTag::kStarted, Encode(started));
  }
}

void SimulatedCluster::StartRun(const Assignment& a, int rank,
                                StartedMsg* started) {
  SimulatedRun run = run_(a, rank);
  double now = clock_.Now();
  started->tasks.push_back(StartNotice{a.row, a.attempt, now});
  TaskResult result;
  result.row = a.row;
  result.attempt = a.attempt;
  result.exit_code = run.signal ? -1 : run.exit_code;
  result.signal = run.signal;
  result.cause = run.cause;
  result.start_time = now;
  result.end_time = now + run.seconds;
  running_.push_back(Pending{clock_.Monotonic() + run.seconds, rank, result});
  active_.emplace(rank, a.row);
  max_concurrent_per_rank =
      std::max(max_concurrent_per_rank, ++concurrent_[rank]);
}

// Ends every task that is due, earliest first, and starts the followers
// they release, as a worker reports them: an end before its follower's.
std::optional<Envelope> SimulatedCluster::Poll() {
  while (true) {
    auto due = std::min_element(
        running_.begin(), running_.end(),
        [](const Pending& a, const Pending& b) { return a.due < b.due; });
    if (due == running_.end() || due->due > clock_.Monotonic()) break;
    Pending done = *due;
    running_.erase(due);
    --concurrent_[done.source];
    Deliver(done.source, MessageTag::kFinished,
            Encode(FinishedMsg{{done.result}}));
    const auto key = std::make_pair(done.source, done.result.row);
    active_.erase(key);
    auto follower = waiting_.find(key);
    if (follower == waiting_.end()) continue;
    StartedMsg started;
    StartRun(follower->second, done.source, &started);
    waiting_.erase(follower);
    Deliver(done.source, MessageTag::kStarted, Encode(started));
  }
  if (inbox_.empty()) return std::nullopt;
  Envelope envelope = std::move(inbox_.front());
  inbox_.pop_front();
  return envelope;
}

}  // namespace sortie::testing
