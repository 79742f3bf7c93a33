// Which ready task runs on which nodes, cores and GPUs. Single-node tasks
// are packed onto nodes (best fit); multi-node tasks get whole nodes; the
// highest-priority task that cannot start holds an EASY-backfill reservation
// so wide tasks are not starved by small ones. No I/O and no clock of its
// own: the caller passes times. docs/scheduling.md has the rules, the data
// structures and their costs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "master/ready_queue.h"
#include "master/scheduler_index.h"

namespace sortie {

/// What one node offers. A node is what the scheduler packs: normally one
/// pilot rank. Cores and GPUs are numbered from 0 on each node.
struct NodeCapacity {
  int32_t cores = 1;
  int32_t gpus = 0;
  /// False for the master's own node: it runs commands but never in-process
  /// function tasks. At most one node per scheduler may say false.
  bool runs_functions = true;
};

/// What one task asks for, and how it is ordered.
struct TaskShape {
  int32_t nodes = 1, ranks_per_node = 1, cores_per_rank = 1, gpus_per_rank = 0;
  int32_t priority = 0;  ///< higher first; ties in row order
  /// An in-process function: never placed on (or reserving) a node whose
  /// `runs_functions` is false. (Before est_runtime: 32 bytes, not 40, and
  /// the scheduler keeps one per task.)
  bool function = false;
  double est_runtime = -1.0;  ///< seconds; < 0 or NaN: unknown
};
static_assert(sizeof(TaskShape) <= 32, "the scheduler keeps one per task");

/// Part of a placement on one node: which cores and GPUs (indices on that
/// node, ascending).
struct NodeSlice {
  int32_t node = -1;
  std::vector<int32_t> cores;
  std::vector<int32_t> gpus;
};

/// One decision: run `row` on these slices; slices[0] is the group leader
/// (the lowest node index).
struct Placement {
  uint32_t row = 0;
  std::vector<NodeSlice> slices;
};

/// Decides where ready tasks run. Not thread-safe; every call is cheap
/// (no scan of all nodes or all tasks), see docs/scheduling.md.
class Scheduler {
 public:
  /// Knows every task's shape up front (row = index); none is ready yet.
  explicit Scheduler(std::vector<TaskShape> shapes);
  /// Adds a node, usable at once; returns its index (0, 1, 2, ... in call
  /// order). Throws std::invalid_argument on negative counts, or if an
  /// earlier node (even a removed one) already has runs_functions == false:
  /// only one node, the master's, may refuse function tasks.
  int32_t AddNode(NodeCapacity capacity);
  /// Stops placing anything on `node` (a lost rank); running tasks there are
  /// the caller's business (it still calls Release for them). Idempotent.
  void RemoveNode(int32_t node);
  /// Queues `row` (again, for retries). Throws std::logic_error if it is
  /// queued or running already, std::invalid_argument if its shape asks for
  /// fewer than 1 node, rank or core per rank, or negative GPUs.
  void MakeReady(uint32_t row);
  /// Places as many ready tasks as the free resources allow at time `now`
  /// (seconds, any epoch, monotonic), in (priority, row) order with EASY
  /// backfill behind the first task that cannot start. Returned placements
  /// are running from now on. Tasks that cannot run on the live nodes even
  /// when all are free stay queued and block nothing.
  std::vector<Placement> Place(double now);
  /// A running task ended at `now`: its cores/GPUs/nodes are free again.
  /// Throws std::logic_error if `row` is not running.
  void Release(uint32_t row, double now);
  /// The highest-priority ready task, if it may queue behind `row` on
  /// `row`'s cores and GPUs (a worker-side queue hides the round trip to
  /// the master): `row` runs on one node, the ready task is of `row`'s shape
  /// class and first in (priority, row) order, and no task holds a
  /// reservation (so no wide task waits longer for it). Does not change
  /// anything; -1 when there is none.
  int64_t FollowerFor(uint32_t row) const;
  /// Takes `row` (FollowerFor's answer) off the queue: it will start where
  /// its predecessor runs, by Handover. Throws std::logic_error if `row` is
  /// not ready or not first of its shape class.
  void Follow(uint32_t row);
  /// `from` ended at `now` and `to` (taken by Follow, of the same shape)
  /// starts on its cores and GPUs: nothing is freed. Throws
  /// std::logic_error if `from` is not running or `to` not following.
  void Handover(uint32_t from, uint32_t to, double now);
  /// The shape class of `row`: tasks of one class ask for the same
  /// resources, so they may take each other's place.
  uint32_t ShapeClassOf(uint32_t row) const { return tasks_[row].shape_class; }
  /// Number of shape classes (class ids are 0 to this - 1).
  size_t ShapeClasses() const { return classes_.size(); }
  /// True when every task has the same priority.
  bool UniformPriority() const { return uniform_priority_; }
  /// Queued, not yet placed.
  size_t Ready() const { return ready_; }
  /// Placed, not yet released.
  size_t Running() const { return running_; }
  /// Empty when `shape` can ever run on `nodes`; otherwise why not, in words
  /// for a user, e.g. "asks for 8 nodes; the allocation has 4". A function
  /// task counts only nodes with runs_functions.
  static std::string WhyNeverFits(const TaskShape& shape,
                                  const std::vector<NodeCapacity>& nodes);

 private:
  enum class State : uint8_t { kIdle, kReady, kFollowing, kRunning };
  /// How much of the reserved nodes a candidate may use.
  enum class Access : uint8_t { kNone, kSpare, kShort, kFull };

  struct QueueKey {
    int32_t priority = 0;
    uint32_t row = 0;
  };
  /// Higher priority first, then lower row.
  struct Before {
    bool operator()(const QueueKey& a, const QueueKey& b) const;
  };
  /// Queued tasks of identical (nodes, ranks_per_node, cores_per_rank,
  /// gpus_per_rank, function), with what that means per node.
  struct ShapeClass {
    int64_t nodes = 1, cores = 1, gpus = 0;
    bool function = false;  ///< kept off the node no_functions_
    bool valid = true;      ///< ShapeProblem finds nothing wrong
    ReadyQueue<QueueKey, Before> queue;
  };
  struct Task {
    uint32_t shape_class = 0;
    State state = State::kIdle;
    double end = 0;  ///< expected end while running; +inf if unknown
  };
  /// A task running on a node, kept on the node so that drain times need
  /// no lookups in the (large, cold) task table.
  struct Occupant {
    uint32_t row = 0;
    double end = 0;
    int64_t cores = 0, gpus = 0;
  };
  struct Node {
    NodeCapacity capacity;
    int32_t free_cores = 0, free_gpus = 0;
    std::vector<uint64_t> core_bits, gpu_bits;  ///< set bit = free
    std::vector<Occupant> occupants;            ///< tasks running here
    double drain_at = 0;  ///< latest expected end of `occupants`
    bool alive = true;
    bool reserved = false;   ///< in the reservation: pool reserved_
    bool exclusive = false;  ///< held whole by a multi-node task
  };
  /// The head's hold on nodes (EASY backfill); at most one at a time.
  struct Reservation {
    bool active = false;
    uint32_t row = 0;
    bool whole = false;  ///< multi-node head: every node is needed whole
    std::vector<int32_t> nodes;
    std::multiset<double> drain_times;  ///< nodes' drain_at, kept by Index()
    // Per Place() call, computed when first needed:
    bool start_known = false;
    double start = 0;  ///< when the head is expected to start; +inf unknown
    int64_t spare_cores = 0, spare_gpus = 0;  ///< single node: unneeded then
  };

  // Queue (scheduler.cc).
  std::set<QueueKey, Before>::iterator PopHead(QueueKey head);
  // Node bookkeeping (scheduler.cc).
  void Index(int32_t node);
  void Unindex(int32_t node);
  FreeNodeIndex::Entry FreeEntry(int32_t node) const;
  DrainIndex::Entry DrainEntry(int32_t node) const;
  void Attach(int32_t node, uint32_t row, int64_t cores, int64_t gpus);
  void Detach(int32_t node, uint32_t row);
  // Placing (scheduler_place.cc).
  bool TryPlace(uint32_t row, double now, bool backfill,
                std::vector<Placement>* out);
  bool TryPlaceSingle(uint32_t row, Access access, std::vector<Placement>* out);
  bool TryPlaceWhole(uint32_t row, Access access, std::vector<Placement>* out);
  void Start(uint32_t row, std::vector<NodeSlice> slices,
             std::vector<Placement>* out);
  double ExpectedEnd(uint32_t row, double now) const;
  /// The node the indexes must leave out for this class, or -1.
  int32_t Exclude(const ShapeClass& shape_class) const {
    return shape_class.function ? no_functions_ : -1;
  }
  bool CanEverRun(const ShapeClass& shape_class) const;
  // Reservation (scheduler_reserve.cc).
  void Reserve(uint32_t row);
  void ClearReservation();
  Access AccessFor(const ShapeClass& shape_class, double end, double now);
  void ComputeStart(double now);
  void ComputeSingleNodeStart();
  // Shape checks (scheduler_why.cc).
  static std::string ShapeProblem(const TaskShape& shape);

  std::vector<TaskShape> shapes_;
  std::vector<Task> tasks_;
  /// Where each running task runs. Apart from tasks_ so a queued task (most
  /// of a million) holds no empty vector: 16 bytes a task instead of 40.
  std::unordered_map<uint32_t, std::vector<NodeSlice>> slices_;
  std::vector<ShapeClass> classes_;
  std::set<QueueKey, Before> heads_;  ///< each non-empty class's first task
  std::vector<Node> nodes_;
  FreeNodeIndex open_;      ///< live, non-exclusive, unreserved nodes
  FreeNodeIndex reserved_;  ///< live, non-exclusive, reserved nodes
  DrainIndex drain_;        ///< every live node
  Reservation reservation_;
  int32_t no_functions_ = -1;  ///< the node with !runs_functions, or -1
  size_t ready_ = 0;
  bool uniform_priority_ = true;
  size_t running_ = 0;
};

}  // namespace sortie
