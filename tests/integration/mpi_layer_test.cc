// The MPI RAII layer (common/mpi.h) under a real mpiexec: every rank runs
// every test, in the same order, so the collectives match.
#include <gtest/gtest.h>
#include <mpi.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/mpi.h"

namespace sortie::mpi {
namespace {

int WorldRank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

int WorldSize() {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

// Polls `done` as the pilot does, with a deadline so a hang fails the test.
template <class Done>
bool Eventually(Done done) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

template <class Pending>
bool Complete(Pending& pending) {
  return Eventually([&] { return pending.Test(); });
}

TEST(PendingCommTest, IsTheWorldOnceCompleteAndReturnsErrors) {
  PendingComm pending = PendingComm::IdupWorld();
  EXPECT_THROW(pending.comm(), std::logic_error);  // no Test() yet
  ASSERT_TRUE(Complete(pending));
  EXPECT_TRUE(pending.Test());  // and stays complete
  const Comm& comm = pending.comm();
  EXPECT_EQ(comm.rank(), WorldRank());
  EXPECT_EQ(comm.size(), WorldSize());
  int result = MPI_UNEQUAL;
  ASSERT_EQ(MPI_Comm_compare(comm.get(), MPI_COMM_WORLD, &result), MPI_SUCCESS);
  EXPECT_EQ(result, MPI_CONGRUENT);
  // A send to a rank that does not exist is an Error, not an abort.
  EXPECT_THROW(Isend(comm, comm.size() + 5, 1, "x"), Error);
}

TEST(PendingPlacementTest, EveryRankOfOneHostIsLocal) {
  PendingPlacement placement = PendingPlacement::Start();
  EXPECT_THROW(placement.LocalRankAndSize(), std::logic_error);
  ASSERT_TRUE(Complete(placement));
  // mpiexec started every rank of this test on this machine.
  EXPECT_EQ(placement.LocalRankAndSize(),
            std::make_pair(WorldRank(), WorldSize()));
}

TEST(PendingCollectiveTest, HoldsItsBufferUntilComplete) {
  PendingCollective<int> sum(std::make_unique<int>(0));
  const int mine = WorldRank() + 1;
  ASSERT_EQ(MPI_Iallreduce(&mine, sum.buffer(), 1, MPI_INT, MPI_SUM,
                           MPI_COMM_WORLD, sum.out()),
            MPI_SUCCESS);
  // Moved while MPI may write into it: the buffer stays where it was.
  PendingCollective<int> moved(std::move(sum));
  ASSERT_TRUE(Complete(moved));
  const int n = WorldSize();
  EXPECT_EQ(moved.Result("the sum"), n * (n + 1) / 2);
  EXPECT_FALSE(sum.Test());  // the moved-from one holds nothing
}

TEST(PointToPointTest, ProbedMessageArrivesWhole) {
  PendingComm pending = PendingComm::IdupWorld();
  ASSERT_TRUE(Complete(pending));
  const Comm& comm = pending.comm();
  const int next = (comm.rank() + 1) % comm.size();
  const std::string sent = "from " + std::to_string(comm.rank());
  Request request = Isend(comm, next, 7, sent);
  std::optional<ProbedMessage> probed;
  ASSERT_TRUE(Eventually([&] { return (probed = Improbe(comm)).has_value(); }));
  EXPECT_EQ(probed->tag, 7);
  EXPECT_EQ(probed->source, (comm.rank() + comm.size() - 1) % comm.size());
  EXPECT_EQ(Mrecv(&*probed), "from " + std::to_string(probed->source));
  ASSERT_TRUE(Complete(request));
}

}  // namespace
}  // namespace sortie::mpi

int main(int argc, char** argv) {
  sortie::mpi::Environment environment(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  // Every rank reports; a failure on any rank fails the run.
  return RUN_ALL_TESTS();
}
