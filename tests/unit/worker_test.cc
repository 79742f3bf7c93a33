#include "worker/worker.h"

#include <gtest/gtest.h>

#include <deque>
#include <utility>
#include <vector>

#include "worker/function_runner.h"
#include "worker/process_launcher.h"

namespace sortie {
namespace {

// Rank 1 of 2: hands the worker the messages queued in `inbox`, one per
// Poll, and keeps what it sends.
class ScriptedTransport : public Transport {
 public:
  int rank() const override { return 1; }
  int size() const override { return 2; }
  void Send(int dest, MessageTag tag, std::string payload) override {
    EXPECT_EQ(dest, 0);
    sent.emplace_back(tag, std::move(payload));
  }
  std::optional<Envelope> Poll() override {
    if (inbox.empty()) return std::nullopt;
    Envelope envelope = std::move(inbox.front());
    inbox.pop_front();
    return envelope;
  }
  bool Flushed() override { return true; }

  /// Messages the master has sent that have not been polled yet.
  std::deque<Envelope> inbox;
  std::vector<std::pair<MessageTag, std::string>> sent;

  size_t SentFinished() const {
    size_t count = 0;
    for (const auto& [tag, payload] : sent) {
      if (tag == MessageTag::kFinished) ++count;
    }
    return count;
  }
};

// Runs every function at once, noting how many Finished reports the worker
// had sent by the time each row ran.
class RecordingRunner : public FunctionRunner {
 public:
  explicit RecordingRunner(const ScriptedTransport& transport)
      : transport_(transport) {}
  int Run(const Assignment& assignment, std::string* /*error*/) override {
    reports_before_row.resize(assignment.row + 1);
    reports_before_row[assignment.row] = transport_.SentFinished();
    return 0;
  }
  std::vector<size_t> reports_before_row;

 private:
  const ScriptedTransport& transport_;
};

Envelope EnvelopeOf(MessageTag tag, std::string payload) {
  return Envelope{0, static_cast<int>(tag), std::move(payload)};
}

// One Assign of `count` function tasks chained as a lane: each follows the
// one before it on the same core.
std::string Chain(uint32_t count) {
  TaskSpec spec;
  spec.function = "sortie:noop";
  const TaskGroup group{{1}, {"node1"}, {{0}}, {{}}};
  AssignEncoder encoder;
  for (uint32_t row = 0; row < count; ++row) {
    encoder.Add(row, 1, spec, group, 0, row == 0 ? -1 : int64_t{row} - 1);
  }
  return encoder.Take();
}

TEST(WorkerTest, ALongBatchOfFunctionsIsReportedWhileItRuns) {
  ScriptedTransport transport;
  transport.inbox.push_back(EnvelopeOf(MessageTag::kAssign, Chain(1000)));
  transport.inbox.push_back(
      EnvelopeOf(MessageTag::kShutdown, Encode(ShutdownMsg{0, ""})));
  RecordingRunner runner(transport);
  ExecutorContext context;
  context.rank = 1;
  context.functions = &runner;
  SystemClock clock;
  PosixLauncher launcher;
  Executor executor(launcher, clock, context);
  NodeResources node;
  node.host = "node1";
  node.cpu_ids = {0};

  WorkerTiming timing;
  timing.report_every = 256;
  EXPECT_EQ(RunWorker(transport, executor, clock, node, timing), 0);

  std::vector<uint32_t> ended;
  size_t largest = 0;
  for (const auto& [tag, payload] : transport.sent) {
    if (tag != MessageTag::kFinished) continue;
    const FinishedMsg finished = Decode<FinishedMsg>(payload);
    largest = std::max(largest, finished.results.size());
    for (const TaskResult& result : finished.results) {
      EXPECT_EQ(result.FinalState(), TaskState::kDone);
      ended.push_back(result.row);
    }
  }
  ASSERT_EQ(ended.size(), 1000u);
  for (uint32_t row = 0; row < 1000; ++row) EXPECT_EQ(ended[row], row);
  EXPECT_EQ(transport.SentFinished(), 4u);  // 256 + 256 + 256 + 232
  EXPECT_EQ(largest, 256u);
  // The first 768 had been reported before the last part of the batch ran.
  ASSERT_EQ(runner.reports_before_row.size(), 1000u);
  EXPECT_EQ(runner.reports_before_row[0], 0u);
  EXPECT_EQ(runner.reports_before_row[256], 1u);
  EXPECT_EQ(runner.reports_before_row[999], 3u);
}

}  // namespace
}  // namespace sortie
