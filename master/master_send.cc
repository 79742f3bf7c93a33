// How the master hands tasks to ranks: one Assign message per rank per
// round, and the lanes of followers queued behind running tasks (see
// docs/scheduling.md, "Followers").
#include <utility>

#include "master/master.h"

namespace sortie {
namespace {

std::vector<int32_t> Lookup(const std::vector<int32_t>& ids,
                            const std::vector<int32_t>& indices) {
  std::vector<int32_t> out;
  out.reserve(indices.size());
  for (int32_t i : indices) out.push_back(ids.at(static_cast<size_t>(i)));
  return out;
}

}  // namespace

TaskGroup Master::GroupOf(const Placement& placement) const {
  TaskGroup group;
  for (const NodeSlice& slice : placement.slices) {
    const ClusterNode& node = nodes_.at(static_cast<size_t>(slice.node));
    group.ranks.push_back(node.rank);
    group.hosts.push_back(node.host);
    group.cpus.push_back(Lookup(node.cpu_ids, slice.cores));
    group.gpus.push_back(Lookup(node.gpu_ids, slice.gpus));
  }
  return group;
}

// A command goes to the group's leader only (it starts every rank of an MPI
// program through the launcher); a function runs on every member.
void Master::Send(const Placement& placement) {
  Assignment assignment{placement.row,
                        state_.status()[placement.row].attempts + 1,
                        state_.FullSpec(placement.row), GroupOf(placement), 0};
  int members = assignment.spec.function.empty()
                    ? 1
                    : static_cast<int>(placement.slices.size());
  const int32_t leader = assignment.group.ranks.at(0);
  Track(placement.row, leader, members);
  // Journaled when the task starts; a single-node task's node is the one
  // its rank serves.
  if (placement.slices.size() > 1) {
    multi_node_ranks_[placement.row] = assignment.group.ranks;
  }
  for (int member = 0; member < members; ++member) {
    assignment.member = member;
    Deliver(assignment.group.ranks[static_cast<size_t>(member)], assignment);
  }
  if (placement.slices.size() == 1 && options_.follow_budget > 0) {
    lanes_to_fill_.push_back(
        lanes_.Open(placement.row, leader, std::move(assignment.group)));
  }
}

// The cores pass to the lane's next task when there is one: the worker has
// started it already.
void Master::FreeCores(const TaskResult& result, double now) {
  const uint32_t row = result.row;
  if (result.start_time > 0 && result.end_time >= result.start_time) {
    runtimes_[scheduler_.ShapeClassOf(row)].Observe(result.end_time -
                                                    result.start_time);
  }
  int64_t lane = lanes_.LaneRunning(row);
  int64_t next = lane < 0 ? -1 : lanes_.Advance(static_cast<size_t>(lane));
  if (next < 0) {
    scheduler_.Release(row, now);
    return;
  }
  scheduler_.Handover(row, static_cast<uint32_t>(next), now);
  lanes_to_fill_.push_back(static_cast<size_t>(lane));
}

// Queues ready tasks of the running task's shape behind it on its worker,
// about follow_budget seconds of them.
void Master::FillLane(size_t id) {
  if (draining_ || !lanes_.IsOpen(id)) return;
  Lane& lane = lanes_.Get(id);
  const uint32_t running = lane.rows.front();
  const int depth = runtimes_[scheduler_.ShapeClassOf(running)].Depth(
      options_.follow_budget, options_.max_followers,
      state_.specs()[running].est_runtime);
  // Looked up once per fill, not per follower (the map's nodes stay put).
  AssignEncoder* outbox =
      lane.rank == 0 && local_ ? nullptr : &outbox_[lane.rank];
  while (static_cast<int>(lane.rows.size()) <= depth) {
    int64_t candidate = scheduler_.FollowerFor(running);
    if (candidate < 0) break;
    const auto row = static_cast<uint32_t>(candidate);
    if (TooLateFor(row)) break;
    scheduler_.Follow(row);
    const int32_t attempt = state_.status()[row].attempts + 1;
    const auto follows = static_cast<int64_t>(lane.rows.back());
    Track(row, lane.rank, 1);
    lanes_.Append(id, row);
    if (!outbox) {
      local_->Start(Assignment{row, attempt, state_.FullSpec(row), lane.group,
                               0, follows});
    } else {
      // Encoded from the stored spec and the lane's group in place: a
      // follower is the bulk of what a run of short tasks sends.
      TaskSpec scratch;
      outbox->Add(row, attempt, state_.SpecToSend(row, &scratch), lane.group, 0,
                  follows);
    }
  }
}

void Master::Track(uint32_t row, int32_t leader_rank, int members) {
  Outstanding& task = outstanding_.at(row);
  if (task.reports_left == 0) ++outstanding_count_;
  task.leader_rank = leader_rank;
  task.reports_left = members;
  partial_results_.erase(row);
}

void Master::Deliver(int rank, const Assignment& assignment) {
  if (rank == 0 && local_) {
    local_->Start(assignment);
  } else {
    outbox_[rank].Add(assignment);
  }
}

// One message per rank per round: a worker gets everything placed on it
// at once.
void Master::FlushOutbox() {
  for (auto& [rank, message] : outbox_) {
    if (message.count() > 0) {
      transport_.Send(rank, MessageTag::kAssign, message.Take());
    }
  }
}

}  // namespace sortie
