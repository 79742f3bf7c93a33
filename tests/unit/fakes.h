// Test doubles for the pilot's side effects: a clock that only moves when
// told to, an in-memory journal, and a cluster of simulated workers behind
// the master's Transport.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/transport.h"
#include "master/journal.h"
#include "master/roster.h"

namespace sortie::testing {

/// Time advances only by SleepFor (and Advance).
class FakeClock : public Clock {
 public:
  double Now() const override { return 1.7e9 + now_; }
  double Monotonic() const override { return now_; }
  void SleepFor(double seconds) override {
    now_ += seconds;
    ++sleeps;
  }
  void Advance(double seconds) { now_ += seconds; }
  int sleeps = 0;

 private:
  double now_ = 0;
};

/// Keeps records in memory; Flush marks them durable.
class MemoryJournal : public JournalSink {
 public:
  void Append(const JournalRecord& record) override {
    records.push_back(record);
    ++pending_;
  }
  void Flush() override {
    durable = records.size();
    pending_ = 0;
    ++flushes;
  }
  size_t Pending() const override { return pending_; }
  std::vector<JournalRecord> records;
  size_t durable = 0;
  int flushes = 0;

 private:
  size_t pending_ = 0;
};

/// How a simulated worker runs one task: the result (row and attempt are
/// filled in) and how long it takes on the fake clock.
struct SimulatedRun {
  int exit_code = 0;
  int signal = 0;
  double seconds = 0;
  EndCause cause = EndCause::kExited;
};

/// The master's Transport, with every other rank a simulated worker that
/// answers each Assign with Started, then Finished once the task's time has
/// passed on `clock`. Hellos are queued only when `send_hellos` is set.
class SimulatedCluster : public Transport {
 public:
  using RunFn = std::function<SimulatedRun(const Assignment&, int rank)>;
  SimulatedCluster(int size, FakeClock& clock, RunFn run,
                   bool send_hellos = false,
                   uint32_t protocol_version = kProtocolVersion);

  int rank() const override { return 0; }
  int size() const override { return size_; }
  void Send(int dest, MessageTag tag, std::string payload) override;
  std::optional<Envelope> Poll() override;
  bool Flushed() override { return true; }

  /// Every Assignment received, with the rank it went to.
  std::vector<std::pair<Assignment, int>> assignments;
  /// Shutdown received by each rank.
  std::map<int, ShutdownMsg> shutdowns;
  /// Largest number of tasks running at once on one rank.
  int max_concurrent_per_rank = 0;
  /// Assign messages received (each may carry several tasks).
  int assign_messages = 0;
  /// Ranks that were sent a Drain.
  std::vector<int> drained;

 private:
  struct Pending {
    double due;
    int source;
    TaskResult result;
  };
  void Deliver(int source, MessageTag tag, std::string payload);
  /// Runs `a` on `rank` from now, as the worker's executor would.
  void StartRun(const Assignment& a, int rank, StartedMsg* started);

  int size_;
  FakeClock& clock_;
  RunFn run_;
  std::deque<Envelope> inbox_;
  std::vector<Pending> running_;
  std::map<int, int> concurrent_;
  /// (rank, row) of tasks running or queued on a rank.
  std::set<std::pair<int, uint32_t>> active_;
  /// Followers by the (rank, row) they wait for.
  std::map<std::pair<int, uint32_t>, Assignment> waiting_;
};

/// `count` nodes served by ranks `first_rank`, `first_rank`+1, ..., each
/// with `cores` cores (CPU ids 0..cores-1) and `gpus` GPUs, on hosts "nodeR".
std::vector<ClusterNode> Nodes(int first_rank, int count, int cores,
                               int gpus = 0);

}  // namespace sortie::testing
