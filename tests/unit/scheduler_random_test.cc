// Properties of the scheduler on random workloads, checked from outside: no
// core or GPU given twice, no multi-node task sharing a node, no function task
// on the master's node, tasks of one shape in (priority, row) order, and
// every task run in the end.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "master/scheduler.h"
#include "scheduler_fixtures.h"

namespace sortie {
namespace {

// What the test itself believes is in use, to catch double allocation.
class Occupancy {
 public:
  explicit Occupancy(std::vector<NodeCapacity> nodes)
      : capacity_(std::move(nodes)), use_(capacity_.size()) {}

  void Take(const Placement& p, const TaskShape& shape) {
    ASSERT_EQ(p.slices.size(), static_cast<size_t>(shape.nodes));
    for (size_t i = 0; i < p.slices.size(); ++i) {
      const NodeSlice& slice = p.slices[i];
      if (i > 0) {
        ASSERT_LT(p.slices[i - 1].node, slice.node);
      }
      ASSERT_GE(slice.node, 0);
      ASSERT_LT(static_cast<size_t>(slice.node), use_.size());
      const NodeCapacity& cap = capacity_[static_cast<size_t>(slice.node)];
      Use& use = use_[static_cast<size_t>(slice.node)];
      ASSERT_EQ(slice.cores.size(), static_cast<size_t>(shape.ranks_per_node *
                                                        shape.cores_per_rank));
      ASSERT_EQ(slice.gpus.size(), static_cast<size_t>(shape.ranks_per_node *
                                                       shape.gpus_per_rank));
      ASSERT_FALSE(use.exclusive) << "node " << slice.node << " is held whole";
      ASSERT_TRUE(cap.runs_functions || !shape.function)
          << "function task " << p.row << " on node " << slice.node
          << ", which runs no functions";
      if (shape.nodes > 1) {
        ASSERT_EQ(use.tasks, 0) << "multi-node task on a busy node";
        use.exclusive = true;
      }
      ++use.tasks;
      if (!cap.runs_functions) ++on_no_function_nodes_;
      Claim(use.cores, slice.cores, cap.cores);
      Claim(use.gpus, slice.gpus, cap.gpus);
    }
  }

  void Free(const Placement& p) {
    for (const NodeSlice& slice : p.slices) {
      Use& use = use_[static_cast<size_t>(slice.node)];
      for (int32_t c : slice.cores) use.cores.erase(c);
      for (int32_t g : slice.gpus) use.gpus.erase(g);
      use.exclusive = false;
      --use.tasks;
    }
  }

  /// Slices placed on nodes that run no functions (commands only).
  int on_no_function_nodes() const { return on_no_function_nodes_; }

 private:
  struct Use {
    std::set<int32_t> cores, gpus;
    int tasks = 0;
    bool exclusive = false;
  };
  static void Claim(std::set<int32_t>& used, const std::vector<int32_t>& ids,
                    int32_t capacity) {
    ASSERT_TRUE(std::is_sorted(ids.begin(), ids.end()));
    for (int32_t id : ids) {
      ASSERT_GE(id, 0);
      ASSERT_LT(id, capacity);
      ASSERT_TRUE(used.insert(id).second) << "index " << id << " taken twice";
    }
  }
  std::vector<NodeCapacity> capacity_;
  std::vector<Use> use_;
  int on_no_function_nodes_ = 0;
};

struct RandomWorkload {
  std::vector<NodeCapacity> nodes;
  std::vector<TaskShape> shapes;
};

RandomWorkload MakeRandomWorkload(std::mt19937& rng) {
  auto pick = [&rng](int lo, int hi) {
    return std::uniform_int_distribution<int32_t>(lo, hi)(rng);
  };
  RandomWorkload w;
  w.nodes.resize(static_cast<size_t>(pick(3, 10)));
  for (NodeCapacity& n : w.nodes) n = {pick(1, 8), pick(0, 3) == 0 ? 2 : 0};
  // Usually a master's node first, as in a real run; often the tightest
  // fit or the first to drain, so a function task would land on it if
  // nothing kept it off.
  if (pick(0, 3) != 0) w.nodes.front().runs_functions = kNoFunctions;
  while (w.shapes.size() < 300) {
    TaskShape s = Shape(pick(0, 4) == 0 ? pick(2, 3) : 1, pick(1, 2),
                        pick(1, 4), pick(0, 4) == 0 ? 1 : 0, pick(0, 3),
                        pick(0, 1) == 0 ? kUnknown : pick(1, 20));
    s.function = pick(0, 2) == 0;
    if (Scheduler::WhyNeverFits(s, w.nodes).empty()) w.shapes.push_back(s);
  }
  return w;
}

// Checks one placement from outside: no double allocation, and tasks of one
// shape start in (priority, row) order (first runs only: retries go back).
class RandomRunChecker {
 public:
  explicit RandomRunChecker(const RandomWorkload& w)
      : w_(w), occupancy_(w.nodes) {}

  void Started(const Placement& p) {
    const TaskShape& t = w_.shapes[p.row];
    ASSERT_NO_FATAL_FAILURE(occupancy_.Take(p, t));
    if (!started_.insert(p.row).second) return;  // a retry
    auto key = std::make_tuple(t.nodes, t.ranks_per_node, t.cores_per_rank,
                               t.gpus_per_rank, t.function);
    if (auto it = last_.find(key); it != last_.end()) {
      const TaskShape& prev = w_.shapes[it->second];
      ASSERT_TRUE(prev.priority > t.priority ||
                  (prev.priority == t.priority && it->second < p.row))
          << "row " << p.row << " overtook row " << it->second;
    }
    last_[key] = p.row;
  }
  void Ended(const Placement& p) { occupancy_.Free(p); }
  size_t started() const { return started_.size(); }
  int on_no_function_nodes() const { return occupancy_.on_no_function_nodes(); }

 private:
  const RandomWorkload& w_;
  Occupancy occupancy_;
  std::map<std::tuple<int32_t, int32_t, int32_t, int32_t, bool>, uint32_t>
      last_;
  std::set<uint32_t> started_;
};

// Adds to `on_no_function_nodes` how many slices went to the node that runs
// no functions.
void CheckRandomRun(uint32_t seed, int* on_no_function_nodes) {
  std::mt19937 rng(seed);
  RandomWorkload w = MakeRandomWorkload(rng);
  Scheduler s(w.shapes);
  for (const NodeCapacity& n : w.nodes) s.AddNode(n);
  ReadyAll(s, static_cast<uint32_t>(w.shapes.size()));
  RandomRunChecker checker(w);
  std::vector<Placement> running;
  std::vector<bool> retried(w.shapes.size());
  double now = 0;
  for (int step = 0; step < 100000 && s.Ready() + running.size() > 0; ++step) {
    for (Placement& p : s.Place(now)) {
      ASSERT_NO_FATAL_FAILURE(checker.Started(p));
      running.push_back(std::move(p));
    }
    ASSERT_EQ(s.Running(), running.size());
    ASSERT_FALSE(running.empty()) << "queued tasks but nothing runs";
    std::shuffle(running.begin(), running.end(), rng);
    const size_t ending = 1 + rng() % (running.size() / 2 + 1);
    for (size_t i = 0; i < ending && !running.empty(); ++i) {
      const uint32_t row = running.back().row;
      checker.Ended(running.back());
      s.Release(row, now);
      running.pop_back();
      if (!retried[row] && rng() % 8 == 0) {  // failed: run it again
        retried[row] = true;
        s.MakeReady(row);
      }
    }
    now += std::uniform_real_distribution<double>(0, 5)(rng);
  }
  EXPECT_EQ(checker.started(), w.shapes.size());
  EXPECT_EQ(s.Ready() + s.Running(), 0u);
  *on_no_function_nodes += checker.on_no_function_nodes();
}

TEST(SchedulerTest, RandomWorkloadsNeverOversubscribeAndAllRun) {
  int on_no_function_nodes = 0;
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE(seed);
    ASSERT_NO_FATAL_FAILURE(CheckRandomRun(seed, &on_no_function_nodes));
  }
  // Commands did use the master's node: it was not simply left out.
  EXPECT_GT(on_no_function_nodes, 0);
}

}  // namespace
}  // namespace sortie
