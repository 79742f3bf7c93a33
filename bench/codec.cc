// The message codec alone, for instruction counts under callgrind: each
// round encodes a batch of 1,000 function-task assignments and decodes it
// one by one (as master and worker do), encodes and decodes a batch of
// 1,000 results, and takes 1,000 spec digests (as every start does).
//
//   bench_codec [ROUNDS]          (default 1000: a million tasks)
//   valgrind --tool=callgrind bench_codec 50
//
// Prints nanoseconds per task for the messages and for the digests, and a
// checksum of what was decoded, the same for every build that keeps the
// wire layout.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/protocol.h"
#include "common/spec_digest.h"

namespace {

constexpr uint32_t kBatch = 1000;

double NanosPerTask(std::chrono::steady_clock::duration elapsed, long tasks) {
  return std::chrono::duration<double, std::nano>(elapsed).count() /
         static_cast<double>(tasks);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sortie;
  const long rounds = argc > 1 ? std::atol(argv[1]) : 1000;
  if (rounds <= 0) {
    std::fprintf(stderr, "usage: bench_codec [ROUNDS > 0]\n");
    return 2;
  }
  TaskSpec spec;
  spec.id = "task-000123";
  spec.function = "sortie:noop";
  const TaskGroup group{{3}, {"node-1"}, {{0}}, {{}}};
  FinishedMsg finished;
  for (uint32_t i = 0; i < kBatch; ++i) {
    TaskResult result;
    result.row = i;
    result.attempt = 1;
    result.exit_code = 0;
    result.start_time = 1.0;
    result.end_time = 2.0;
    finished.results.push_back(result);
  }

  AssignEncoder encoder;
  Assignment assignment;
  FinishedMsg received;
  uint64_t checksum = 0;
  const auto start = std::chrono::steady_clock::now();
  for (long round = 0; round < rounds; ++round) {
    for (uint32_t row = 0; row < kBatch; ++row)
      encoder.Add(row, 1, spec, group, 0, -1);
    const std::string bytes = encoder.Take();
    AssignDecoder decoder(bytes);
    while (decoder.Next(&assignment)) checksum += assignment.row;
    DecodeInto(Encode(finished), &received);
    checksum += received.results.size();
  }
  const auto messages_done = std::chrono::steady_clock::now();
  for (long i = 0; i < rounds * kBatch; ++i) checksum += SpecDigest(spec);
  const auto digests_done = std::chrono::steady_clock::now();

  const long tasks = rounds * kBatch;
  std::printf("%.1f ns/task messages, %.1f ns/task digest, checksum %llu\n",
              NanosPerTask(messages_done - start, tasks),
              NanosPerTask(digests_done - messages_done, tasks),
              static_cast<unsigned long long>(checksum));
  return 0;
}
