#include "worker/environment.h"

#include <array>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace sortie {
namespace {

// Prefixes of variables that MPI launchers and process managers set for the
// processes they start: Hydra/PMI (MPICH, Intel MPI), PMIx and PRRTE (Open
// MPI 5), ORTE (Open MPI 4), Cray PALS. Documented in docs/environment.md.
constexpr std::array<std::string_view, 8> kLauncherPrefixes = {
    "PMI_", "PMIX_", "HYDRA_", "HYDI_", "OMPI_", "PRTE_", "PALS_", "MPIR_"};

constexpr std::array<std::string_view, 4> kLauncherNames = {
    "MPI_LOCALRANKID", "MPI_LOCALNRANKS", "PMI_FD", "OPAL_PREFIX"};

std::string_view NameOf(std::string_view entry) {
  size_t eq = entry.find('=');
  return eq == std::string_view::npos ? entry : entry.substr(0, eq);
}

}  // namespace

bool IsLauncherVariable(std::string_view name) {
  for (std::string_view prefix : kLauncherPrefixes) {
    if (name.substr(0, prefix.size()) == prefix) return true;
  }
  for (std::string_view exact : kLauncherNames) {
    if (name == exact) return true;
  }
  return false;
}

std::vector<std::string> ScrubbedEnvironment(char** environ_entries) {
  std::vector<std::string> kept;
  for (char** entry = environ_entries; entry && *entry; ++entry) {
    std::string_view text(*entry);
    if (!IsLauncherVariable(NameOf(text))) kept.emplace_back(text);
  }
  return kept;
}

std::vector<std::string> TaskEnvironment(const std::vector<std::string>& base,
                                         const TaskSpec& spec,
                                         const TaskEnvContext& context) {
  std::vector<std::pair<std::string_view, std::string>> overrides;
  overrides.reserve(spec.extras().env.size() + 3 + context.extra.size());
  for (const auto& [name, value] : spec.extras().env)
    overrides.emplace_back(name, value);
  overrides.emplace_back("SORTIE_TASK_ID", spec.id);
  overrides.emplace_back("SORTIE_ATTEMPT", std::to_string(context.attempt));
  overrides.emplace_back("SORTIE_RANK", std::to_string(context.rank));
  for (const auto& [name, value] : context.extra) {
    overrides.emplace_back(name, value);
  }

  std::unordered_set<std::string_view> replaced;
  for (const auto& entry : overrides) replaced.insert(entry.first);
  std::vector<std::string> env;
  env.reserve(base.size() + overrides.size());
  for (const std::string& entry : base) {
    if (!replaced.count(NameOf(entry))) env.push_back(entry);
  }
  // A later setting of the same name wins (SORTIE_* over the task's env).
  std::unordered_map<std::string_view, size_t> position;
  for (const auto& [name, value] : overrides) {
    std::string entry = std::string(name) + "=" + value;
    auto [it, inserted] = position.emplace(name, env.size());
    if (inserted) {
      env.push_back(std::move(entry));
    } else {
      env[it->second] = std::move(entry);
    }
  }
  return env;
}

}  // namespace sortie
