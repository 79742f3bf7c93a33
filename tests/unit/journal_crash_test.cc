// What a journal keeps when its writer dies: SIGKILL after a flush and in
// mid-stream, in a forked child, and a write error that breaks the writer.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

#include "journal_fixtures.h"
#include "master/journal.h"

namespace sortie {
namespace {

// Runs `child` in a forked process, which reports through its exit status.
pid_t Spawn(const std::function<int()>& child) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int status = 1;
    try {
      status = child();
    } catch (...) {
      status = 2;
    }
    ::_exit(status);
  }
  return pid;
}

// Blocks until the child writes its "flushed" byte.
void AwaitSignal(int fd) {
  char byte = 0;
  ASSERT_EQ(::read(fd, &byte, 1), 1);
}

// SIGKILLs the child `pid` and reaps it: the kill, not the child, ended it.
void KillAndReap(pid_t pid) {
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));
}

TEST_F(JournalTest, SigkillAfterFlushLosesOnlyUnflushedRecords) {
  const std::string path = PathFor("killed.journal");
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t pid = Spawn([&] {
    JournalWriter writer(path);
    for (uint64_t i = 0; i < 1000; ++i) writer.Append(MakeRecord(i));
    writer.Flush();
    for (uint64_t i = 1000; i < 1010; ++i) writer.Append(MakeRecord(i));
    if (::write(pipe_fds[1], "f", 1) != 1) return 3;
    while (true) ::pause();
  });
  ASSERT_GT(pid, 0);
  ::close(pipe_fds[1]);  // so a child that dies early gives EOF, not a hang
  AwaitSignal(pipe_fds[0]);
  ASSERT_NO_FATAL_FAILURE(KillAndReap(pid));
  ::close(pipe_fds[0]);

  const Replayed got = Replay(path);
  EXPECT_EQ(got.result.error, "");
  ASSERT_EQ(got.records.size(), 1000u);
  for (uint64_t i = 0; i < 1000; ++i) EXPECT_EQ(got.records[i], MakeRecord(i));
}

TEST_F(JournalTest, SigkillMidStreamKeepsAnOrderedPrefix) {
  const std::string path = PathFor("midstream.journal");
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t pid = Spawn([&] {
    JournalWriter writer(path);
    for (uint64_t i = 0;; ++i) {
      writer.Append(MakeRecord(i));
      if (i % 5000 == 4999) writer.Flush();
      if (i == 4999 && ::write(pipe_fds[1], "f", 1) != 1) return 3;
    }
  });
  ASSERT_GT(pid, 0);
  ::close(pipe_fds[1]);  // so a child that dies early gives EOF, not a hang
  AwaitSignal(pipe_fds[0]);
  ::usleep(20'000);
  ASSERT_NO_FATAL_FAILURE(KillAndReap(pid));
  ::close(pipe_fds[0]);

  const Replayed got = Replay(path);
  EXPECT_EQ(got.result.error, "");
  ASSERT_GE(got.records.size(), 5000u);
  for (uint64_t i = 0; i < got.records.size(); ++i) {
    ASSERT_EQ(got.records[i], MakeRecord(i)) << "record " << i;
  }
}

TEST_F(JournalTest, WriterRefusesWorkAfterAWriteError) {
  const std::string path = PathFor("efbig.journal");
  const pid_t pid = Spawn([&] {
    // A soft file size limit makes the first 1 MiB write fail with EFBIG;
    // lifting it again shows the writer stays broken on its own.
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{};
    if (::getrlimit(RLIMIT_FSIZE, &limit) != 0) return 3;
    const rlim_t unlimited = limit.rlim_cur;
    limit.rlim_cur = 64 << 10;
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return 3;
    JournalWriter writer(path);
    try {
      // The write fails on the writing thread; an Append after that, or at
      // the latest the Flush, reports it.
      for (uint64_t i = 0; i < 1'000'000; ++i) writer.Append(MakeRecord(i));
      writer.Flush();
      return 4;  // never failed
    } catch (const std::runtime_error& e) {
      if (std::string(e.what()).find(path) == std::string::npos) return 5;
    }
    limit.rlim_cur = unlimited;
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return 3;
    try {
      writer.Flush();
      return 6;  // a broken writer must not claim durability
    } catch (const std::runtime_error& e) {
      if (std::string(e.what()).find("unusable") == std::string::npos) {
        return 7;
      }
    }
    return 0;
  });
  ASSERT_GT(pid, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace sortie
