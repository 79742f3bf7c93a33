// The environment a task sees: the pilot's own, minus the variables of the
// pilot's MPI launcher (a task that is an MPI program must not attach to the
// pilot's process manager through them), plus the task's `env` and the
// SORTIE_* variables.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/task.h"

namespace sortie {

/// True for a variable the pilot's launcher set for the pilot itself
/// (PMI_*, PMIX_*, HYDRA_*, OMPI_*, MPI_LOCALRANKID, ...).
bool IsLauncherVariable(std::string_view name);

/// `environ` entries ("NAME=value") without the launcher's variables.
std::vector<std::string> ScrubbedEnvironment(char** environ_entries);

/// What a task needs besides its spec to build its environment.
struct TaskEnvContext {
  int attempt = 1;
  int rank = 0;
  /// Set by sortie after the task's own env (SORTIE_NODES, GPU masks, ...).
  std::vector<std::pair<std::string, std::string>> extra;
};

/// `base` (already scrubbed) with the task's `env`, then SORTIE_TASK_ID,
/// SORTIE_ATTEMPT, SORTIE_RANK and `context.extra` applied; later settings
/// replace earlier ones of the same name.
std::vector<std::string> TaskEnvironment(const std::vector<std::string>& base,
                                         const TaskSpec& spec,
                                         const TaskEnvContext& context);

}  // namespace sortie
