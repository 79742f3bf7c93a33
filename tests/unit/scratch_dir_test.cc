// The sweep of hostfile directories that killed ranks left behind.
#include "worker/scratch_dir.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "test_dir.h"

namespace sortie {
namespace {

namespace fs = std::filesystem;

class ScratchDirTest : public TestWithDir {
 protected:
  // A directory as a rank makes it, holding one hostfile.
  std::string Make(const std::string& host, pid_t pid, int rank) {
    std::string dir = ScratchDirPath(dir_.string(), host, pid, rank);
    fs::create_directories(dir);
    std::ofstream(dir + "/host-" + host + ".nodes") << host << "\n";
    return dir;
  }
};

TEST_F(ScratchDirTest, PathNamesRootHostPidAndRank) {
  EXPECT_EQ(ScratchDirPath("/tmp", "nid00042", 1234, 3),
            "/tmp/sortie-nid00042-1234-rank3");
}

TEST_F(ScratchDirTest, RemovesOnlyTheGoneRanksOfThisHost) {
  const std::set<pid_t> alive = {100, 200};
  const std::string gone0 = Make("node-1", 300, 0);
  const std::string gone1 = Make("node-1", 300, 1);
  const std::string live = Make("node-1", 100, 2);
  // Host names with dashes: "node" with PID 1 must not take "node-1"'s.
  const std::string other_host = Make("node", 300, 0);
  const std::string prefix_host = Make("node-1-300", 7, 0);
  const std::string odd = dir_ / "sortie-node-1-300-rank1x";
  // A PID beyond pid_t's range is no PID (not one cut down to fit).
  const std::string huge = dir_ / "sortie-node-1-4294967596-rank0";
  fs::create_directories(huge);
  fs::create_directories(odd);
  const std::string not_ours = dir_ / "unrelated";
  fs::create_directories(not_ours);

  const int removed = RemoveScratchDirsOfGoneRanks(
      dir_.string(), "node-1", [&](pid_t pid) { return alive.count(pid) > 0; });

  EXPECT_EQ(removed, 2);
  EXPECT_FALSE(fs::exists(gone0));
  EXPECT_FALSE(fs::exists(gone1));
  for (const std::string& kept :
       {live, other_host, prefix_host, odd, huge, not_ours})
    EXPECT_TRUE(fs::exists(kept)) << kept;
}

TEST_F(ScratchDirTest, KeepsADirectoryHoldingMoreThanHostfiles) {
  const std::string dir = Make("h", 300, 0);
  std::ofstream(dir + "/notes.txt") << "someone's\n";
  EXPECT_EQ(RemoveScratchDirsOfGoneRanks(dir_.string(), "h",
                                         [](pid_t) { return false; }),
            0);
  EXPECT_TRUE(fs::exists(dir + "/notes.txt"));
  EXPECT_FALSE(fs::exists(dir + "/host-h.nodes"));
}

TEST_F(ScratchDirTest, LeavesWhatASymbolicLinkPointsTo) {
  // /tmp is everyone's: a link planted under a matching name must not make
  // the sweep delete hostfiles somewhere else.
  const fs::path target = dir_ / "elsewhere";
  fs::create_directories(target);
  std::ofstream(target / "keep.nodes") << "x\n";
  fs::create_directory_symlink(target,
                               ScratchDirPath(dir_.string(), "h", 300, 0));
  EXPECT_EQ(RemoveScratchDirsOfGoneRanks(dir_.string(), "h",
                                         [](pid_t) { return false; }),
            0);
  EXPECT_TRUE(fs::exists(target / "keep.nodes"));
}

TEST_F(ScratchDirTest, AMissingRootIsNothingToSweep) {
  EXPECT_EQ(RemoveScratchDirsOfGoneRanks((dir_ / "none").string(), "h",
                                         [](pid_t) { return false; }),
            0);
}

TEST_F(ScratchDirTest, ProcessExistsTellsAReapedChildFromThisProcess) {
  EXPECT_TRUE(ProcessExists(getpid()));
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  EXPECT_FALSE(ProcessExists(child));
}

}  // namespace
}  // namespace sortie
