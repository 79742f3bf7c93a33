// Whether the progress line may be a live one: does the master's stderr end
// at a terminal? Under mpiexec a rank's stderr is a pipe to the launcher
// (Hydra's proxy, then mpiexec), which copies it to its own stderr, so the
// rank looks up the chain of launcher processes above it in /proc.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "master/progress.h"

namespace sortie {
namespace {

std::string Proc(int pid, const std::string& entry) {
  return "/proc/" + std::to_string(pid) + "/" + entry;
}

// Where file descriptor 2 of `pid` leads ("/dev/pts/3", "pipe:[123]", a
// path), or "" when it cannot be read.
std::string StderrOf(int pid) {
  char target[4096];
  ssize_t length = readlink(Proc(pid, "fd/2").c_str(), target, sizeof(target));
  return length > 0 ? std::string(target, static_cast<size_t>(length)) : "";
}

bool IsTerminal(const std::string& target) {
  return target.rfind("/dev/pts/", 0) == 0 || target.rfind("/dev/tty", 0) == 0;
}

bool IsPipe(const std::string& target) {
  return target.rfind("pipe:", 0) == 0 || target.rfind("socket:", 0) == 0;
}

// MPICH's Hydra (mpiexec.hydra, hydra_pmi_proxy), Open MPI (mpirun, orted,
// prterun, prted), Slurm (srun, slurmstepd), PALS (mpiexec, palsd): the
// processes that forward a rank's output. A shell or `tee` ends the walk,
// so `mpiexec ... 2>&1 | tee log` is not mistaken for a terminal.
bool IsLauncher(int pid) {
  std::string name;
  std::getline(std::ifstream(Proc(pid, "comm")), name);
  for (const char* launcher : {"mpiexec", "mpirun", "hydra", "orte", "orted",
                               "prte", "srun", "slurmstepd", "pals"}) {
    if (name.find(launcher) != std::string::npos) return true;
  }
  return false;
}

int ParentOf(int pid) {
  // /proc/PID/stat: "PID (COMM) STATE PPID ..."; COMM may hold blanks.
  std::string stat;
  std::getline(std::ifstream(Proc(pid, "stat")), stat);
  size_t end = stat.rfind(')');
  if (end == std::string::npos) return 0;
  int parent = 0;
  char state = 0;
  std::sscanf(stat.c_str() + end + 1, " %c %d", &state, &parent);
  return parent;
}

}  // namespace

bool StderrReachesTerminal() {
  if (isatty(STDERR_FILENO) == 1) return true;
  if (!IsPipe(StderrOf(getpid()))) return false;  // a file: a batch log
  constexpr int kMaxLaunchers = 4;  // proxy, mpiexec, and a little slack
  int pid = getppid();
  for (int depth = 0; depth < kMaxLaunchers && pid > 1; ++depth) {
    if (!IsLauncher(pid)) return false;
    const std::string target = StderrOf(pid);
    if (IsTerminal(target)) return true;
    if (!IsPipe(target)) return false;
    pid = ParentOf(pid);
  }
  return false;
}

}  // namespace sortie
