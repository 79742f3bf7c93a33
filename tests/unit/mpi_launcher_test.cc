#include "worker/mpi_launcher.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "worker/environment.h"

extern char** environ;

namespace sortie {
namespace {

using Words = std::vector<std::string>;

// 2 nodes x 2 ranks x 2 cores, the same CPUs on both nodes.
MpiLaunch TwoByTwo() {
  MpiLaunch launch;
  launch.hosts = {"h1", "h2"};
  launch.ranks_per_node = 2;
  launch.cores_per_rank = 2;
  launch.cpus = {{0, 1, 2, 3}, {0, 1, 2, 3}};
  launch.launcher_args = {"--foo"};
  launch.program = {"/bin/app", "x"};
  return launch;
}

MpiLaunch OneByFour() {
  MpiLaunch launch;
  launch.hosts = {"n1"};
  launch.ranks_per_node = 4;
  launch.cpus = {{4, 5, 6, 7}};
  launch.program = {"/bin/app"};
  return launch;
}

// Two virtual nodes on host a (CPUs 0-1 and 2-3), one on host b.
MpiLaunch Repeated() {
  MpiLaunch launch;
  launch.hosts = {"a", "a", "b"};
  launch.ranks_per_node = 2;
  launch.cpus = {{0, 1}, {2, 3}, {0, 1}};
  launch.program = {"/bin/app"};
  return launch;
}

Words ArgvOf(const std::string& spec, const MpiLaunch& launch) {
  return MpiLauncher::FromSpec(spec).Argv(launch);
}

TEST(MpiLauncherTest, HydraTwoByTwo) {
  EXPECT_EQ(ArgvOf("hydra", TwoByTwo()),
            (Words{"mpiexec", "-n", "4", "-ppn", "2", "-hosts", "h1,h2",
                   "-bind-to", "user:0+1,2+3", "--foo", "/bin/app", "x"}));
}

TEST(MpiLauncherTest, PalsTwoByTwo) {
  EXPECT_EQ(ArgvOf("pals", TwoByTwo()),
            (Words{"mpiexec", "-n", "4", "--ppn", "2", "--hosts", "h1,h2",
                   "--cpu-bind", "list:0,1:2,3", "--foo", "/bin/app", "x"}));
}

TEST(MpiLauncherTest, SrunTwoByTwo) {
  EXPECT_EQ(ArgvOf("srun", TwoByTwo()),
            (Words{"srun", "-N", "2", "-n", "4", "--nodelist=h1,h2",
                   "--ntasks-per-node=2", "--cpus-per-task=2", "--overlap",
                   "--cpu-bind=mask_cpu:0x3,0xc", "--foo", "/bin/app", "x"}));
}

TEST(MpiLauncherTest, OpenMpiTwoByTwo) {
  EXPECT_EQ(ArgvOf("openmpi", TwoByTwo()),
            (Words{"mpirun", "-np", "4", "--host", "h1:2,h2:2", "--map-by",
                   "slot", "--bind-to", "none", "--foo", "/bin/app", "x"}));
}

TEST(MpiLauncherTest, OneNodeFourRanks) {
  EXPECT_EQ(ArgvOf("hydra", OneByFour()),
            (Words{"mpiexec", "-n", "4", "-ppn", "4", "-hosts", "n1",
                   "-bind-to", "user:4,5,6,7", "/bin/app"}));
  EXPECT_EQ(ArgvOf("pals", OneByFour()),
            (Words{"mpiexec", "-n", "4", "--ppn", "4", "--hosts", "n1",
                   "--cpu-bind", "list:4:5:6:7", "/bin/app"}));
  EXPECT_EQ(ArgvOf("srun", OneByFour()),
            (Words{"srun", "-N", "1", "-n", "4", "--nodelist=n1",
                   "--ntasks-per-node=4", "--cpus-per-task=1", "--overlap",
                   "--cpu-bind=mask_cpu:0x10,0x20,0x40,0x80", "/bin/app"}));
  EXPECT_EQ(ArgvOf("openmpi", OneByFour()),
            (Words{"mpirun", "-np", "4", "--host", "n1:4", "--map-by", "slot",
                   "--bind-to", "none", "/bin/app"}));
}

TEST(MpiLauncherTest, DifferentCpusPerNodeBindNothing) {
  MpiLaunch launch = TwoByTwo();
  launch.cpus = {{0, 1, 2, 3}, {4, 5, 6, 7}};
  EXPECT_EQ(ArgvOf("hydra", launch)[8], "none");
  EXPECT_EQ(ArgvOf("pals", launch)[8], "none");
  EXPECT_EQ(ArgvOf("srun", launch)[9], "--cpu-bind=none");
}

TEST(MpiLauncherTest, UnknownCpusBindNothing) {
  MpiLaunch launch = TwoByTwo();
  launch.cpus.clear();
  EXPECT_EQ(ArgvOf("hydra", launch)[8], "none");
  EXPECT_EQ(ArgvOf("pals", launch)[8], "none");
  EXPECT_EQ(ArgvOf("srun", launch)[9], "--cpu-bind=none");
}

TEST(MpiLauncherTest, HydraMergesAdjacentRepeatedHosts) {
  // Host a runs local ranks 0-3; b's two ranks use a prefix of that list.
  EXPECT_EQ(ArgvOf("hydra", Repeated()),
            (Words{"mpiexec", "-n", "6", "-ppn", "2", "-hosts", "a,a,b",
                   "-bind-to", "user:0,1,2,3", "/bin/app"}));
  MpiLaunch apart = Repeated();
  apart.hosts = {"a", "b", "a"};  // three proxies: lists 0,1 / 2,3 / 0,1
  EXPECT_EQ(ArgvOf("hydra", apart)[8], "none");
}

TEST(MpiLauncherTest, PalsPassesRepeatedHostsUnbound) {
  EXPECT_EQ(ArgvOf("pals", Repeated()),
            (Words{"mpiexec", "-n", "6", "--ppn", "2", "--hosts", "a,a,b",
                   "--cpu-bind", "none", "/bin/app"}));
}

TEST(MpiLauncherTest, SrunAndOpenMpiCountRanksPerHost) {
  MpiLaunch launch = Repeated();
  launch.hosts = {"a", "a"};
  launch.cpus.pop_back();
  EXPECT_EQ(ArgvOf("srun", launch),
            (Words{"srun", "-N", "1", "-n", "4", "--nodelist=a",
                   "--ntasks-per-node=4", "--cpus-per-task=1", "--overlap",
                   "--cpu-bind=mask_cpu:0x1,0x2,0x4,0x8", "/bin/app"}));
  EXPECT_EQ(ArgvOf("openmpi", Repeated())[4], "a:4,b:2");
  EXPECT_THROW(ArgvOf("srun", Repeated()), std::invalid_argument);
}

TEST(MpiLauncherTest, SrunMaskReachesHighCpus) {
  MpiLaunch launch = OneByFour();
  launch.ranks_per_node = 1;
  launch.cpus = {{65}};
  EXPECT_EQ(ArgvOf("srun", launch)[9],
            "--cpu-bind=mask_cpu:0x20000000000000000");
}

TEST(MpiLauncherTest, ExecutableOverride) {
  MpiLauncher launcher = MpiLauncher::FromSpec("hydra:/usr/bin/mpiexec.mpich");
  EXPECT_EQ(launcher.name(), "hydra");
  EXPECT_EQ(launcher.executable(), "/usr/bin/mpiexec.mpich");
  EXPECT_EQ(launcher.Argv(TwoByTwo())[0], "/usr/bin/mpiexec.mpich");
  EXPECT_EQ(MpiLauncher::FromSpec("srun").executable(), "srun");
  EXPECT_EQ(MpiLauncher::FromSpec("openmpi").executable(), "mpirun");
  EXPECT_FALSE(launcher.uses_hostfile());
}

TEST(MpiLauncherTest, TemplateSubstitutesAndSplices) {
  MpiLauncher launcher = MpiLauncher::FromSpec(
      "  mpiexec -n {nranks} -ppn {ppn} -hosts {hosts} -f {hostfile}\t"
      "--nn={nnodes} -d {cores_per_rank} --cpu-bind=list:{cpus} {args} "
      "{program} --after ");
  MpiLaunch launch = TwoByTwo();
  launch.launcher_args = {"--foo", "--bar"};
  launch.nodefile = "/tmp/nodes";
  EXPECT_EQ(launcher.name(), "template");
  EXPECT_EQ(launcher.executable(), "mpiexec");
  EXPECT_TRUE(launcher.uses_hostfile());
  EXPECT_EQ(launcher.Argv(launch),
            (Words{"mpiexec", "-n", "4", "-ppn", "2", "-hosts", "h1,h2", "-f",
                   "/tmp/nodes", "--nn=2", "-d", "2", "--cpu-bind=list:0,1:2,3",
                   "--foo", "--bar", "/bin/app", "x", "--after"}));
}

TEST(MpiLauncherTest, TemplateDropsWordsThatBecomeEmpty) {
  MpiLaunch launch = TwoByTwo();
  launch.cpus.clear();
  launch.launcher_args.clear();
  EXPECT_EQ(ArgvOf("run {cpus} {args} {program}", launch),
            (Words{"run", "/bin/app", "x"}));
}

TEST(MpiLauncherTest, TemplateHostfileNeedsNodefile) {
  EXPECT_THROW(ArgvOf("mpiexec -f {hostfile} {program}", TwoByTwo()),
               std::invalid_argument);
}

TEST(MpiLauncherTest, BadTemplates) {
  for (const char* spec :
       {"mpiexec -n 4 /bin/app", "mpiexec {program", "mpiexec } {program}",
        "mpiexec {foo} {program}", "mpiexec x{args} {program}",
        "mpiexec {program}x", "mpiexec {{nranks}} {program}", " \t "}) {
    EXPECT_THROW(MpiLauncher::FromSpec(spec), std::invalid_argument) << spec;
  }
}

TEST(MpiLauncherTest, FromSpecErrorsNameTheProblem) {
  for (const char* spec : {"", "mpich", "Hydra", "hydra:", ":mpiexec"}) {
    EXPECT_THROW(MpiLauncher::FromSpec(spec), std::invalid_argument) << spec;
  }
  try {
    MpiLauncher::FromSpec("mpich");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("\"mpich\""), std::string::npos);
  }
}

TEST(MpiLauncherTest, ArgvRejectsInconsistentLaunches) {
  MpiLaunch launch = TwoByTwo();
  launch.cpus[1].pop_back();
  EXPECT_THROW(ArgvOf("hydra", launch), std::invalid_argument);
  launch = TwoByTwo();
  launch.cpus.pop_back();
  EXPECT_THROW(ArgvOf("hydra", launch), std::invalid_argument);
  launch = TwoByTwo();
  launch.hosts.clear();
  launch.cpus.clear();
  EXPECT_THROW(ArgvOf("pals", launch), std::invalid_argument);
  launch = TwoByTwo();
  launch.program.clear();
  EXPECT_THROW(ArgvOf("srun", launch), std::invalid_argument);
  launch = TwoByTwo();
  launch.hosts[0] = "h1,h3";
  EXPECT_THROW(ArgvOf("openmpi", launch), std::invalid_argument);
  launch = TwoByTwo();
  launch.ranks_per_node = 0;
  launch.cpus.clear();
  EXPECT_THROW(ArgvOf("hydra", launch), std::invalid_argument);
}

TEST(MpiLauncherTest, HostfileHasOneLinePerNode) {
  EXPECT_EQ(HostfileText(TwoByTwo()), "h1\nh2\n");
  EXPECT_EQ(HostfileText(Repeated()), "a\na\nb\n");
}

std::string Detected(Words entries) {
  std::vector<char*> env;
  for (std::string& entry : entries) env.push_back(entry.data());
  env.push_back(nullptr);
  return MpiLauncher::Detect(env.data()).name();
}

TEST(MpiLauncherTest, DetectFollowsDocumentedOrder) {
  EXPECT_EQ(Detected({"HOME=/", "PALS_APID=1", "SLURM_JOB_ID=2"}), "pals");
  EXPECT_EQ(Detected({"PBS_JOBID=1.pbs", "CRAY_MPICH_DIR=/opt"}), "pals");
  EXPECT_EQ(Detected({"SLURM_JOB_ID=2", "PMI_RANK=0"}), "srun");
  EXPECT_EQ(Detected({"PMI_RANK=0", "PMI_FD=5"}), "hydra");
  EXPECT_EQ(Detected({"HYDRA_LAUNCHER=fork", "OMPI_MCA_x=1"}), "hydra");
  EXPECT_EQ(Detected({"MPI_LOCALRANKID=0"}), "hydra");
  EXPECT_EQ(Detected({"OMPI_COMM_WORLD_RANK=0", "PMIX_RANK=0"}), "openmpi");
  EXPECT_EQ(Detected({"PRTE_LAUNCHED=1"}), "openmpi");
}

TEST(MpiLauncherTest, DetectDefaultsToHydra) {
  EXPECT_EQ(Detected({"HOME=/", "PBS_JOBID=1.pbs", "PMIX_RANK=0"}), "hydra");
  EXPECT_EQ(Detected({}), "hydra");
  EXPECT_EQ(MpiLauncher::Detect(nullptr).name(), "hydra");
  EXPECT_EQ(MpiLauncher::Detect(nullptr).executable(), "mpiexec");
}

// --- A real Hydra run: 2 virtual nodes on localhost x 2 ranks. ---

constexpr const char* kMpiexec = "/usr/bin/mpiexec.mpich";

// Runs argv with `env`; returns its stdout, or fails after `seconds`.
std::string RunWithTimeout(const Words& argv, const Words& env, int seconds) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  std::vector<char*> args, vars;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  for (const std::string& v : env) vars.push_back(const_cast<char*>(v.c_str()));
  args.push_back(nullptr);
  vars.push_back(nullptr);
  pid_t pid = 0;
  int rc =
      posix_spawn(&pid, args[0], &actions, nullptr, args.data(), vars.data());
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) throw std::runtime_error("posix_spawn failed");
  std::string out;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  char buffer[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  pid_t done = 0;
  while ((done = waitpid(pid, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    usleep(10000);
  }
  if (done == 0) {
    kill(pid, SIGTERM);  // Hydra forwards it to the ranks
    waitpid(pid, &status, 0);
    ADD_FAILURE() << "launcher still running after " << seconds << " s";
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  return out;
}

bool CanUseCpus01() {
  cpu_set_t set;
  CPU_ZERO(&set);
  return sched_getaffinity(0, sizeof set, &set) == 0 && CPU_ISSET(0, &set) &&
         CPU_ISSET(1, &set);
}

TEST(MpiLauncherTest, RealHydraRunOnLocalhost) {
  if (access(kMpiexec, X_OK) != 0) GTEST_SKIP() << kMpiexec << " missing";
  MpiLaunch launch;
  launch.hosts = {"localhost", "localhost"};
  launch.ranks_per_node = 2;
  const bool bind = CanUseCpus01();
  if (bind) launch.cpus = {{0, 1}, {0, 1}};
  launch.program = {"/bin/sh", "-c",
                    "echo $PMI_RANK $(grep Cpus_allowed_list /proc/self/status"
                    " | cut -f2)"};
  Words argv =
      MpiLauncher::FromSpec(std::string("hydra:") + kMpiexec).Argv(launch);
  std::string out = RunWithTimeout(argv, ScrubbedEnvironment(environ), 10);

  std::istringstream lines(out);
  Words got;
  for (std::string line; std::getline(lines, line);) got.push_back(line);
  std::sort(got.begin(), got.end());
  ASSERT_EQ(got.size(), 4u) << out;
  for (size_t rank = 0; rank < got.size(); ++rank) {
    // Hydra runs both virtual nodes as one proxy: user:0,1,0,1.
    const std::string id = std::to_string(rank) + " ";
    if (bind) {
      EXPECT_EQ(got[rank], id + (rank % 2 == 0 ? "0" : "1")) << out;
    } else {
      EXPECT_EQ(got[rank].substr(0, id.size()), id) << out;
    }
  }
}

}  // namespace
}  // namespace sortie
