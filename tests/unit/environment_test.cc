#include "worker/environment.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sortie {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;

TEST(EnvironmentTest, LauncherVariablesAreRecognised) {
  for (const char* name :
       {"PMI_RANK", "PMI_FD", "PMI_SIZE", "PMIX_RANK", "HYDRA_CONTROL_FD",
        "MPI_LOCALRANKID", "MPI_LOCALNRANKS", "OMPI_COMM_WORLD_RANK",
        "PRTE_MCA_x", "PALS_RANKID"}) {
    EXPECT_TRUE(IsLauncherVariable(name)) << name;
  }
  for (const char* name : {"PATH", "HOME", "PMIX", "MPICH_GPU_SUPPORT",
                           "OMP_NUM_THREADS", "SLURM_JOB_ID", "MPI_HOME"}) {
    EXPECT_FALSE(IsLauncherVariable(name)) << name;
  }
}

TEST(EnvironmentTest, ScrubDropsOnlyLauncherVariables) {
  std::vector<std::string> storage = {
      "PATH=/bin",         "PMI_RANK=3", "PMI_FD=7", "HOME=/root",
      "MPI_LOCALRANKID=0", "OMPI_X=1",   "WEIRD"};
  std::vector<char*> environ_like;
  for (std::string& s : storage) environ_like.push_back(s.data());
  environ_like.push_back(nullptr);
  EXPECT_THAT(ScrubbedEnvironment(environ_like.data()),
              ElementsAre("PATH=/bin", "HOME=/root", "WEIRD"));
}

TEST(EnvironmentTest, TaskEnvAddsAndOverridesAndSortieWins) {
  TaskSpec spec;
  spec.id = "job-7";
  spec.mutable_extras().env = {
      {"HOME", "/scratch"}, {"NEW", "x=y"}, {"SORTIE_RANK", "99"}};
  std::vector<std::string> env = TaskEnvironment(
      {"PATH=/bin", "HOME=/root"}, spec, TaskEnvContext{2, 5, {}});
  EXPECT_THAT(env, Contains("PATH=/bin"));
  EXPECT_THAT(env, Contains("HOME=/scratch"));
  EXPECT_THAT(env, Not(Contains("HOME=/root")));
  EXPECT_THAT(env, Contains("NEW=x=y"));
  EXPECT_THAT(env, Contains("SORTIE_TASK_ID=job-7"));
  EXPECT_THAT(env, Contains("SORTIE_ATTEMPT=2"));
  EXPECT_THAT(env, Contains("SORTIE_RANK=5"));
  EXPECT_THAT(env, Not(Contains("SORTIE_RANK=99")));
  EXPECT_EQ(env.size(), 6u);
}

}  // namespace
}  // namespace sortie
