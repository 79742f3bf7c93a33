// The nested MPI launchers that start an external MPI program for a
// multi-node task. MPI_Comm_spawn is not an option (MPICH's ch4:ucx and Cray
// PALS do not implement it), so the task's group leader runs a launcher
// (`mpiexec`, `srun`, `mpirun`) over the group's hosts. This file only builds
// the launcher's argv; the executor spawns it. See docs/launchers.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sortie {

/// Everything a launcher needs to start one MPI task.
struct MpiLaunch {
  /// One per node, in order; a host name repeats when several virtual nodes
  /// share a host.
  std::vector<std::string> hosts;
  int32_t ranks_per_node = 1;
  int32_t cores_per_rank = 1;
  /// Per node: the CPU ids (OS numbering, as in taskset) bound to this task
  /// on that node, ranks_per_node * cores_per_rank of them, rank by rank.
  /// Empty when the CPUs are not known: the launcher then binds nothing.
  std::vector<std::vector<int32_t>> cpus;
  /// The task's extra launcher arguments, placed after the preset's own
  /// options and before the program.
  std::vector<std::string> launcher_args;
  /// The task's argv (for a shell command: {"/bin/sh", "-c", cmd}).
  std::vector<std::string> program;
  /// Path of a hostfile holding HostfileText(*this); may be empty unless the
  /// launcher uses_hostfile().
  std::string nodefile;
};

/// The text of the hostfile for `launch` (SORTIE_NODEFILE, {hostfile}): one
/// line per node, in order, so a repeated host appears once per virtual node.
std::string HostfileText(const MpiLaunch& launch);

/// A way to start MPI programs: a preset ("hydra", "pals", "srun",
/// "openmpi") or a user template with placeholders.
class MpiLauncher {
 public:
  /// Parses --launcher VALUE: "PRESET", "PRESET:EXECUTABLE" (the preset with
  /// another argv[0], e.g. "hydra:/usr/bin/mpiexec.mpich"), or a template
  /// (any value containing '{', '}' or whitespace). Throws
  /// std::invalid_argument naming the problem for an unknown preset or a bad
  /// template.
  static MpiLauncher FromSpec(const std::string& spec);

  /// The preset matching the environment the pilot was started in (pass the
  /// ORIGINAL environment, before scrubbing): PALS, then Slurm, then Hydra,
  /// then Open MPI, else hydra. Never throws.
  static MpiLauncher Detect(char** environ_entries);

  /// The argv that starts `launch` (argv[0] is the launcher executable).
  /// Throws std::invalid_argument for a launch the launcher cannot express
  /// (no hosts, no program, CPU lists of the wrong size, {hostfile} without a
  /// nodefile, srun with unequal ranks per host).
  std::vector<std::string> Argv(const MpiLaunch& launch) const;

  /// "hydra", "pals", "srun", "openmpi", or "template".
  const std::string& name() const { return name_; }

  /// argv[0] of a preset; the first template word for a template.
  const std::string& executable() const { return executable_; }

  /// True when Argv refers to launch.nodefile, so the caller must write the
  /// hostfile before starting the launcher.
  bool uses_hostfile() const;

 private:
  MpiLauncher(std::string name, std::string executable,
              std::vector<std::string> template_words);

  std::vector<std::string> TemplateArgv(const MpiLaunch& launch) const;

  std::string name_;
  std::string executable_;
  std::vector<std::string> template_;  // empty for a preset
};

}  // namespace sortie
