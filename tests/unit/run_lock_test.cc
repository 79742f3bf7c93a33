// RunLock: one sortie run per journal. A second lock on the same journal
// (from this process or another) is refused, the lock survives everything a
// run does to its journal, a refused run leaves no journal it created, and
// a file system without flock is reported, not fatal.

#include "master/run_lock.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "journal_fixtures.h"
#include "master/journal.h"
#include "test_dir.h"

namespace sortie {
namespace {

namespace fs = std::filesystem;
using Outcome = RunLock::Outcome;

TEST_F(JournalTest, ASecondLockOnTheSameJournalIsRefused) {
  const std::string path = PathFor("run.h5.journal");
  {
    RunLock first = RunLock::Take(path);
    EXPECT_EQ(first.outcome(), Outcome::kHeld);
    EXPECT_TRUE(first.created());
    ASSERT_TRUE(fs::exists(path));
    EXPECT_EQ(fs::file_size(path), 0u);

    RunLock second = RunLock::Take(path);
    EXPECT_EQ(second.outcome(), Outcome::kInUse);
    EXPECT_FALSE(second.created());
    EXPECT_EQ(second.RemoveWhatTakeCreated(), "");
    EXPECT_TRUE(fs::exists(path));  // the refused one removes nothing
  }
  RunLock after = RunLock::Take(path);
  EXPECT_EQ(after.outcome(), Outcome::kHeld);
  EXPECT_FALSE(after.created());
}

// A run creates, replays, cuts and reopens its journal while it holds the
// lock, each through a descriptor of its own: none of that may release it.
TEST_F(JournalTest, TheLockOutlastsWhatARunDoesToItsJournal) {
  const std::string path = PathFor("run.h5.journal");
  RunLock lock = RunLock::Take(path);
  ASSERT_EQ(lock.outcome(), Outcome::kHeld);
  {
    JournalWriter writer(path);  // O_TRUNC: the same file
    writer.Append(MakeRecord(3));
    writer.Append(MakeRecord(1));
  }
  EXPECT_EQ(RunLock::Take(path).outcome(), Outcome::kInUse);
  const ReplayResult replay = ReplayJournal(path, {});
  ASSERT_EQ(replay.records, 2u);
  std::string error;
  ASSERT_TRUE(TruncateJournal(path, replay.valid_bytes, &error)) << error;
  JournalWriter::OpenForAppend(path)->Append(MakeRecord(4));
  EXPECT_EQ(RunLock::Take(path).outcome(), Outcome::kInUse);
  EXPECT_EQ(lock.RemoveWhatTakeCreated(), "");
  EXPECT_GT(fs::file_size(path), 0u);  // a journal now: kept
}

TEST_F(JournalTest, AnotherProcessHoldingTheLockRefusesThisOne) {
  const std::string path = PathFor("run.h5.journal");
  int ready[2];
  int done[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(done), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    RunLock lock = RunLock::Take(path);
    const char held = lock.outcome() == Outcome::kHeld ? 'y' : 'n';
    char byte = 0;
    if (::write(ready[1], &held, 1) != 1 || ::read(done[0], &byte, 1) != 1) {
      ::_exit(1);
    }
    ::_exit(0);  // the lock goes with the process
  }
  char held = 0;
  ASSERT_EQ(::read(ready[0], &held, 1), 1);
  EXPECT_EQ(held, 'y');
  EXPECT_EQ(RunLock::Take(path).outcome(), Outcome::kInUse);
  ASSERT_EQ(::write(done[1], "x", 1), 1);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(RunLock::Take(path).outcome(), Outcome::kHeld);
  for (int fd : {ready[0], ready[1], done[0], done[1]}) ::close(fd);
}

TEST_F(JournalTest, ARefusedRunRemovesTheEmptyJournalItCreatedOnly) {
  const std::string path = PathFor("run.h5.journal");
  {
    RunLock lock = RunLock::Take(path);
    ASSERT_TRUE(lock.created());
    EXPECT_EQ(lock.RemoveWhatTakeCreated(), "");
    EXPECT_FALSE(fs::exists(path));
    // Still locked, but on the removed file: a new run locks a new one.
    RunLock next = RunLock::Take(path);
    EXPECT_EQ(next.outcome(), Outcome::kHeld);
    EXPECT_TRUE(next.created());
  }
  WriteFile(path, "an earlier run's journal");
  RunLock existing = RunLock::Take(path);
  EXPECT_FALSE(existing.created());
  EXPECT_EQ(existing.RemoveWhatTakeCreated(), "");
  EXPECT_EQ(ReadFile(path), "an earlier run's journal");
}

int NoLocks(int, int) {
  errno = ENOLCK;
  return -1;
}

int BadDescriptor(int, int) {
  errno = EBADF;
  return -1;
}

TEST_F(JournalTest, AFileSystemWithoutFlockGoesOnUnlocked) {
  const std::string path = PathFor("run.h5.journal");
  RunLock lock = RunLock::Take(path, NoLocks);
  EXPECT_EQ(lock.outcome(), Outcome::kUnsupported);
  EXPECT_NE(lock.why_unsupported(), "");
  EXPECT_TRUE(lock.created());
  EXPECT_EQ(lock.RemoveWhatTakeCreated(), "");
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(JournalTest, OtherLockFailuresThrowNamingTheJournal) {
  const std::string path = PathFor("run.h5.journal");
  try {
    RunLock::Take(path, BadDescriptor);
    FAIL() << "no exception";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(path), std::string::npos)
        << error.what();
  }
  try {
    RunLock::Take(PathFor("no-such-dir/run.h5.journal"));
    FAIL() << "no exception";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("no-such-dir"), std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace sortie
