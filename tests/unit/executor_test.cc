// The executor on the real PosixLauncher: real processes, real exit codes.
#include "worker/executor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "test_dir.h"
#include "worker/node_discovery.h"

namespace sortie {
namespace {

namespace fs = std::filesystem;

class ExecutorTest : public TestWithDir {
 protected:
  TaskSpec Spec(std::vector<std::string> command, bool shell = false) {
    TaskSpec spec;
    spec.id = "task" + std::to_string(next_++);
    spec.command = std::move(command);
    spec.shell = shell;
    spec.mutable_extras().stdout_path = (dir_ / (spec.id + ".out")).string();
    spec.mutable_extras().stderr_path = (dir_ / (spec.id + ".err")).string();
    return spec;
  }

  // Runs one task to completion and returns its result.
  TaskResult RunOne(const TaskSpec& spec, int attempt = 1) {
    executor_.Start(Assignment{42, attempt, spec, {}, 0});
    for (int i = 0; i < 2000; ++i) {
      executor_.Poll();
      std::vector<TaskResult> done = executor_.TakeFinished();
      if (!done.empty()) return done.at(0);
      executor_.Wait(0.01);
    }
    ADD_FAILURE() << "task did not finish";
    return {};
  }

  int next_ = 0;
  SystemClock clock_;
  PosixLauncher launcher_;
  Executor executor_{launcher_, clock_, Context()};

  static ExecutorContext Context() {
    ExecutorContext context;
    context.rank = 3;
    context.base_env = {"PATH=/usr/bin:/bin"};
    return context;
  }
};

TEST_F(ExecutorTest, ExitCodesAndSignalsAreRecorded) {
  TaskResult ok = RunOne(Spec({"/bin/true"}));
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_EQ(ok.signal, 0);
  EXPECT_EQ(ok.row, 42u);
  EXPECT_LE(ok.start_time, ok.end_time);
  EXPECT_EQ(ok.FinalState(), TaskState::kDone);

  TaskResult three = RunOne(Spec({"exit 3"}, true));
  EXPECT_EQ(three.exit_code, 3);
  EXPECT_EQ(three.FinalState(), TaskState::kFailed);

  TaskResult segv = RunOne(Spec({"kill -SEGV $$"}, true));
  EXPECT_EQ(segv.signal, SIGSEGV);
  EXPECT_EQ(segv.exit_code, -1);
  EXPECT_EQ(segv.FinalState(), TaskState::kFailed);
}

TEST_F(ExecutorTest, ArrayCommandsAreNotInterpretedByAShell) {
  TaskSpec spec = Spec({"/bin/echo", "$HOME", "a  b", "*"});
  EXPECT_EQ(RunOne(spec).exit_code, 0);
  EXPECT_EQ(ReadFile(spec.extras().stdout_path), "$HOME a  b *\n");
}

TEST_F(ExecutorTest, StdoutStderrCwdAndEnvironmentReachTheTask) {
  fs::create_directories(dir_ / "work");
  TaskSpec spec = Spec({"pwd; echo \"$GREETING $SORTIE_TASK_ID $SORTIE_ATTEMPT "
                        "$SORTIE_RANK\"; echo oops >&2; read x || echo eof"},
                       true);
  spec.mutable_extras().cwd = (dir_ / "work").string();
  spec.mutable_extras().env = {{"GREETING", "hello"}};
  EXPECT_EQ(RunOne(spec, 2).exit_code, 0);
  EXPECT_EQ(ReadFile(spec.extras().stdout_path),
            (dir_ / "work").string() + "\nhello " + spec.id + " 2 3\neof\n");
  EXPECT_EQ(ReadFile(spec.extras().stderr_path), "oops\n");
}

TEST_F(ExecutorTest, SameFileForStdoutAndStderrKeepsBoth) {
  TaskSpec spec = Spec({"echo out; echo err >&2"}, true);
  spec.mutable_extras().stderr_path = spec.mutable_extras().stdout_path;
  RunOne(spec);
  EXPECT_EQ(ReadFile(spec.extras().stdout_path), "out\nerr\n");
}

TEST_F(ExecutorTest, OutputDirectoriesAreCreated) {
  TaskSpec spec = Spec({"echo deep"}, true);
  spec.mutable_extras().stdout_path = (dir_ / "a" / "b" / "out.txt").string();
  EXPECT_EQ(RunOne(spec).exit_code, 0);
  EXPECT_EQ(ReadFile(spec.extras().stdout_path), "deep\n");
}

TEST_F(ExecutorTest, EachTaskLeadsItsOwnProcessGroup) {
  TaskSpec spec = Spec({"ps -o pgid= -p $$ | tr -d ' '; echo $$"}, true);
  RunOne(spec);
  std::istringstream lines(ReadFile(spec.extras().stdout_path));
  std::string pgid, pid;
  lines >> pgid >> pid;
  EXPECT_EQ(pgid, pid);
  EXPECT_NE(pgid, std::to_string(getpgrp()));
}

TEST_F(ExecutorTest, TasksInheritNoDescriptorsButTheirStandardThree) {
  // What MPI libraries leave open in the pilot: no FD_CLOEXEC.
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  TaskSpec spec = Spec({"for fd in 0 1 2 " + std::to_string(pipe_fds[0]) + " " +
                        std::to_string(pipe_fds[1]) +
                        "; do test -e /proc/$$/fd/$fd && echo $fd || :; done"},
                       true);
  EXPECT_EQ(RunOne(spec).exit_code, 0);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  EXPECT_EQ(ReadFile(spec.extras().stdout_path), "0\n1\n2\n");
}

TEST_F(ExecutorTest, MissingProgramIs127WithReasonInStderr) {
  TaskSpec spec = Spec({"/no/such/program", "x"});
  TaskResult result = RunOne(spec);
  EXPECT_EQ(result.exit_code, 127);
  EXPECT_EQ(result.FinalState(), TaskState::kFailed);
  EXPECT_THAT(ReadFile(spec.extras().stderr_path),
              ::testing::HasSubstr("cannot run /no/such/program"));
  EXPECT_THAT(result.reason, ::testing::StartsWith("cannot run "
                                                   "/no/such/program: "));
  EXPECT_EQ(executor_.TakeStarted().size(), 1u);  // attempted, here and now
}

TEST_F(ExecutorTest, MissingWorkingDirectoryFailsClearly) {
  TaskSpec spec = Spec({"/bin/true"});
  spec.mutable_extras().cwd = (dir_ / "nowhere").string();
  TaskResult result = RunOne(spec);
  EXPECT_EQ(result.exit_code, -1);
  EXPECT_EQ(result.FinalState(), TaskState::kFailed);
  EXPECT_THAT(ReadFile(spec.extras().stderr_path),
              ::testing::HasSubstr("working directory"));
  EXPECT_EQ(result.reason,
            "working directory " + spec.extras().cwd + " does not exist");
}

// With no stderr file to write it to, the reason is the only place the
// launch error is kept.
TEST_F(ExecutorTest, AnOutputFileThatCannotBeCreatedIsTheReason) {
  TaskSpec spec = Spec({"/bin/true"});
  std::ofstream((dir_ / "a-file").string()) << "x";
  spec.mutable_extras().stderr_path = (dir_ / "a-file" / "t.err").string();
  TaskResult result = RunOne(spec);
  EXPECT_EQ(result.FinalState(), TaskState::kFailed);
  EXPECT_THAT(result.reason, ::testing::StartsWith("cannot create directory " +
                                                   (dir_ / "a-file").string()));
}

TEST_F(ExecutorTest, ALongLaunchErrorIsCutToTheReasonLimit) {
  TaskSpec spec = Spec({"/bin/true"});
  const std::string part(200, 'd');  // a name may have up to 255 bytes
  spec.mutable_extras().cwd = (dir_ / part / part).string();
  TaskResult result = RunOne(spec);
  EXPECT_EQ(result.reason.size(), kReasonMaxBytes);
  EXPECT_THAT(result.reason, ::testing::StartsWith("working directory "));
  EXPECT_THAT(result.reason, ::testing::EndsWith("\xE2\x80\xA6"));  // …
  // The task's own file keeps the whole message.
  EXPECT_THAT(ReadFile(spec.extras().stderr_path),
              ::testing::HasSubstr(spec.extras().cwd + " does not exist"));
}

TEST_F(ExecutorTest, ATaskThatStartedHasNoReason) {
  EXPECT_EQ(RunOne(Spec({"exit 3"}, true)).reason, "");
}

TEST_F(ExecutorTest, StartsAreReportedOncePerTask) {
  executor_.Start(Assignment{1, 1, Spec({"/bin/true"}), {}, 0});
  executor_.Start(Assignment{2, 1, Spec({"/bin/true"}), {}, 0});
  EXPECT_TRUE(executor_.Poll());
  std::vector<StartNotice> started = executor_.TakeStarted();
  ASSERT_EQ(started.size(), 2u);
  EXPECT_EQ(started[0].row, 1u);
  EXPECT_EQ(started[1].row, 2u);
  EXPECT_TRUE(executor_.TakeStarted().empty());
  while (executor_.Running() > 0) {
    executor_.Wait(0.01);
    executor_.Poll();
  }
  EXPECT_EQ(executor_.TakeFinished().size(), 2u);
}

TEST_F(ExecutorTest, TaskIsBoundToItsCpusAndSeesItsGpusAndNodes) {
  TaskSpec spec =
      Spec({"grep Cpus_allowed_list /proc/self/status; "
            "echo $CUDA_VISIBLE_DEVICES $ROCR_VISIBLE_DEVICES "
            "$HIP_VISIBLE_DEVICES $ZE_AFFINITY_MASK; "
            "echo $SORTIE_NODES $SORTIE_NRANKS; cat $SORTIE_NODEFILE"},
           true);
  Assignment assignment{7, 1, spec, TaskGroup{{3}, {"hostA"}, {{0}}, {{2, 3}}},
                        0};
  executor_.Start(assignment);
  while (executor_.Running() > 0) {
    executor_.Wait(0.01);
    executor_.Poll();
  }
  std::istringstream out(ReadFile(spec.extras().stdout_path));
  std::string line;
  std::getline(out, line);
  EXPECT_THAT(line, ::testing::MatchesRegex("Cpus_allowed_list:\\s+0"));
  std::getline(out, line);
  EXPECT_EQ(line, "2,3 2,3 0,1 2,3");
  std::getline(out, line);
  EXPECT_EQ(line, "hostA 1");
  std::getline(out, line);
  EXPECT_EQ(line, "hostA");
  // The pilot's own binding is untouched.
  EXPECT_GT(AllowedCpus().size(), 0u);
}

TEST_F(ExecutorTest, TheScratchDirectoryGoesWithTheExecutor) {
  // Each rank of each run writes its hostfiles in a directory of its own;
  // left behind, they piled up in TMPDIR by the thousand.
  ExecutorContext made = Context();
  made.scratch_dir = (dir_ / "scratch-made").string();
  ExecutorContext given = Context();
  given.scratch_dir = (dir_ / "scratch-given").string();
  fs::create_directories(given.scratch_dir);
  // Called when the executor makes the directory, which a killed rank's
  // next of kin on the host then sweeps; not for a directory it was given.
  std::map<std::string, int> sweeps;
  for (ExecutorContext* context : {&made, &given}) {
    context->after_making_scratch_dir = [&sweeps, context] {
      EXPECT_TRUE(fs::is_directory(context->scratch_dir));
      ++sweeps[context->scratch_dir];
    };
    Executor executor(launcher_, clock_, *context);
    for (uint32_t row : {1u, 2u}) {  // the second shares the hostfile
      executor.Start(Assignment{row, 1, Spec({"true"}),
                                TaskGroup{{3}, {"hostA"}, {{0}}, {{}}}, 0});
    }
    while (executor.Running() > 0) {
      executor.Wait(0.01);
      executor.Poll();
    }
    EXPECT_TRUE(fs::exists(context->scratch_dir));  // the hostfile is there
  }
  EXPECT_FALSE(fs::exists(made.scratch_dir));
  EXPECT_TRUE(fs::exists(given.scratch_dir));
  EXPECT_TRUE(fs::is_empty(given.scratch_dir));
  EXPECT_EQ(sweeps, (std::map<std::string, int>{{made.scratch_dir, 1}}));
}

TEST_F(ExecutorTest, MultiRankCommandStartsThroughTheMpiLauncher) {
  ExecutorContext context = Context();
  context.mpi_launcher = MpiLauncher::FromSpec(
      "/bin/echo {nranks} {ppn} {hosts} {args} {program}");
  Executor executor(launcher_, clock_, context);
  TaskSpec spec = Spec({"/bin/app", "x"});
  spec.nodes = 2;
  spec.ranks_per_node = 2;
  spec.mutable_extras().launcher_args = {"--extra"};
  executor.Start(Assignment{
      1, 1, spec, TaskGroup{{1, 2}, {"h1", "h2"}, {{0, 1}, {0, 1}}, {{}, {}}},
      0});
  while (executor.Running() > 0) {
    executor.Wait(0.01);
    executor.Poll();
  }
  EXPECT_EQ(ReadFile(spec.extras().stdout_path),
            "4 2 h1,h2 --extra /bin/app x\n");
}

TEST_F(ExecutorTest, FunctionTaskWithoutARunnerFailsWithoutCrashing) {
  TaskSpec spec;
  spec.id = "f";
  spec.function = "sortie:noop";
  executor_.Start(Assignment{5, 1, spec, {}, 0});
  ASSERT_TRUE(executor_.Poll());
  std::vector<TaskResult> done = executor_.TakeFinished();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].exit_code, 127);
  EXPECT_EQ(done[0].reason, "function tasks do not run on rank 3");
  EXPECT_EQ(executor_.TakeStarted().size(), 1u);
}

// A function whose library cannot be loaded: the runner's error is the
// task's reason (it has no stderr file of its own).
class UnloadableFunctions : public FunctionRunner {
 public:
  int Run(const Assignment& assignment, std::string* error) override {
    *error = "cannot load " + assignment.spec.function + ": no such file";
    return 127;
  }
};

TEST_F(ExecutorTest, AFunctionThatCannotBeLoadedGivesItsReason) {
  UnloadableFunctions functions;
  ExecutorContext context = Context();
  context.functions = &functions;
  Executor executor(launcher_, clock_, context);
  TaskSpec spec;
  spec.id = "f";
  spec.function = "/no/lib.so:f";
  executor.Start(Assignment{5, 1, spec, {}, 0});
  ASSERT_TRUE(executor.Poll());
  std::vector<TaskResult> done = executor.TakeFinished();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].exit_code, 127);
  EXPECT_EQ(done[0].reason, "cannot load /no/lib.so:f: no such file");
}

TEST_F(ExecutorTest, TimeoutKillsTheWholeProcessGroup) {
  ExecutorContext context = Context();
  context.kill_grace = 0.3;
  Executor executor(launcher_, clock_, context);
  // The shell ignores SIGTERM and leaves a grandchild behind: SIGKILL after
  // the grace must take both.
  TaskSpec spec = Spec({"trap '' TERM; sleep 30 & echo $! > " +
                        (dir_ / "child.pid").string() + "; wait"},
                       true);
  spec.timeout = 0.2;
  double start = clock_.Monotonic();
  executor.Start(Assignment{9, 1, spec, {}, 0});
  std::vector<TaskResult> done;
  while (done.empty() && clock_.Monotonic() - start < 10) {
    executor.Wait(0.05);
    executor.Poll();
    done = executor.TakeFinished();
  }
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].FinalState(), TaskState::kTimeout);
  EXPECT_EQ(done[0].signal, SIGKILL);
  double took = clock_.Monotonic() - start;
  EXPECT_GT(took, 0.45);
  EXPECT_LT(took, 3.0);
  pid_t child = std::stoi(ReadFile((dir_ / "child.pid").string()));
  // Gone, or a zombie waiting for an init that may never reap it.
  auto alive = [child] {
    std::string stat = ReadFile("/proc/" + std::to_string(child) + "/stat");
    size_t paren = stat.rfind(')');
    return paren != std::string::npos && stat.substr(paren + 2, 1) != "Z";
  };
  for (int i = 0; i < 100 && alive(); ++i) usleep(10000);
  EXPECT_FALSE(alive()) << "grandchild survived";
}

TEST_F(ExecutorTest, InterruptStopsRunningTasksAndRefusesNewOnes) {
  TaskSpec spec = Spec({"sleep 30"}, true);
  executor_.Start(Assignment{1, 1, spec, {}, 0});
  executor_.Interrupt();
  executor_.Start(Assignment{2, 1, Spec({"/bin/true"}), {}, 0});
  std::vector<TaskResult> done;
  for (int i = 0; i < 500 && done.size() < 2; ++i) {
    executor_.Wait(0.01);
    executor_.Poll();
    for (TaskResult& r : executor_.TakeFinished()) done.push_back(r);
  }
  ASSERT_EQ(done.size(), 2u);
  for (const TaskResult& r : done) {
    EXPECT_EQ(r.FinalState(), TaskState::kInterrupted) << r.row;
  }
}

TEST_F(ExecutorTest, ResultsCarryTheEndsOfTheOutputFiles) {
  TaskSpec spec = Spec({"seq 1 3000; echo oops >&2; exit 1"}, true);
  TaskResult result = RunOne(spec);
  EXPECT_EQ(result.stdout_tail.size(), kOutputTailBytes);
  EXPECT_EQ(result.stdout_tail.substr(result.stdout_tail.size() - 10),
            "2999\n3000\n");
  EXPECT_EQ(result.stderr_tail, "oops\n");
}

TEST_F(ExecutorTest, WaitingOnARunningTaskUsesNoCpu) {
  executor_.Start(Assignment{1, 1, Spec({"sleep 0.3"}, true), {}, 0});
  clock_t cpu_before = clock();
  while (executor_.Running() > 0) {
    executor_.Wait(0.05);
    executor_.Poll();
  }
  double cpu = static_cast<double>(clock() - cpu_before) / CLOCKS_PER_SEC;
  EXPECT_LT(cpu, 0.03);
}

// Collects results until `count` tasks have ended (or a 20 s limit).
std::vector<TaskResult> Drain(Executor& executor, size_t count) {
  std::vector<TaskResult> all;
  for (int i = 0; i < 2000 && all.size() < count; ++i) {
    executor.Poll();
    for (TaskResult& r : executor.TakeFinished()) all.push_back(std::move(r));
    executor.Wait(0.01);
  }
  return all;
}

TEST_F(ExecutorTest, FollowerWaitsForItsPredecessorThenStartsAtOnce) {
  TaskSpec slow = Spec({"/bin/sh", "-c", "sleep 0.3"});
  TaskSpec next = Spec({"/bin/true"});
  TaskSpec last = Spec({"/bin/true"});
  executor_.Start(Assignment{1, 1, slow, {}, 0, -1});
  executor_.Start(Assignment{2, 1, next, {}, 0, 1});
  executor_.Start(Assignment{3, 1, last, {}, 0, 2});
  EXPECT_EQ(executor_.Running(), 1u);
  EXPECT_EQ(executor_.Queued(), 2u);
  std::vector<TaskResult> done = Drain(executor_, 3);
  ASSERT_EQ(done.size(), 3u);
  // In chain order, each starting no earlier than the one before ended.
  EXPECT_EQ(done[0].row, 1u);
  EXPECT_EQ(done[1].row, 2u);
  EXPECT_EQ(done[2].row, 3u);
  EXPECT_GE(done[1].start_time, done[0].end_time);
  EXPECT_GE(done[2].start_time, done[1].end_time);
  EXPECT_EQ(executor_.Queued(), 0u);
}

TEST_F(ExecutorTest, FollowerOfATaskThatAlreadyEndedStartsAtOnce) {
  RunOne(Spec({"/bin/true"}));  // row 42 has come and gone
  executor_.Start(
      Assignment{7, 1, Spec({"/bin/sh", "-c", "sleep 5"}), {}, 0, 42});
  EXPECT_EQ(executor_.Running(), 1u);
  EXPECT_EQ(executor_.Queued(), 0u);
  executor_.Interrupt();
  EXPECT_EQ(Drain(executor_, 1).size(), 1u);
}

TEST_F(ExecutorTest, DrainEndsQueuedFollowersInterruptedInChainOrder) {
  executor_.Start(
      Assignment{1, 1, Spec({"/bin/sh", "-c", "sleep 30"}), {}, 0, -1});
  executor_.Start(Assignment{2, 1, Spec({"/bin/true"}), {}, 0, 1});
  executor_.Start(Assignment{3, 1, Spec({"/bin/true"}), {}, 0, 2});
  executor_.Interrupt();
  std::vector<TaskResult> done = Drain(executor_, 3);
  ASSERT_EQ(done.size(), 3u);
  for (size_t i = 0; i < done.size(); ++i) {
    EXPECT_EQ(done[i].row, i + 1);
    EXPECT_EQ(done[i].cause, EndCause::kInterrupted);
  }
  // The followers never started: no start notice for them.
  std::vector<StartNotice> started = executor_.TakeStarted();
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].row, 1u);
}

TEST_F(ExecutorTest, ResultFileAndStdoutPatternsBecomeResults) {
  TaskSpec spec =
      Spec({"echo 'elapsed: 0.25 s'; printf 'n=4\\nlabel=big run\\noops\\n' > "
            "\"$SORTIE_RESULT\""},
           true);
  spec.mutable_extras().result_path =
      (dir_ / "results" / (spec.id + ".result")).string();
  spec.mutable_extras().result_patterns = {{"time", R"(elapsed: (\S+) s)"}};
  // A file left by an earlier attempt must not count for this one.
  fs::create_directories(dir_ / "results");
  std::ofstream(spec.extras().result_path) << "stale=1\n";
  TaskResult result = RunOne(spec);
  EXPECT_EQ(result.FinalState(), TaskState::kDone);
  EXPECT_THAT(result.results,
              ::testing::ElementsAre(ResultValue{"label", kNoTime, "big run"},
                                     ResultValue{"n", 4, "4"},
                                     ResultValue{"time", 0.25, "0.25"}));
  EXPECT_EQ(ReadFile(spec.extras().stderr_path),
            "sortie: results: " + spec.extras().result_path +
                ": line 3: no '=' (ignored)\n");
  EXPECT_EQ(result.stderr_tail, ReadFile(spec.extras().stderr_path));
}

TEST_F(ExecutorTest, AFailedTaskStillReportsItsResults) {
  TaskSpec spec = Spec({"echo partial=1 > \"$SORTIE_RESULT\"; exit 3"}, true);
  spec.mutable_extras().result_path = (dir_ / (spec.id + ".result")).string();
  TaskResult result = RunOne(spec);
  EXPECT_EQ(result.FinalState(), TaskState::kFailed);
  EXPECT_THAT(result.results,
              ::testing::ElementsAre(ResultValue{"partial", 1, "1"}));
}

}  // namespace
}  // namespace sortie
