#include "worker/mpi_launcher.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace sortie {
namespace {

using Words = std::vector<std::string>;
using CpuSet = std::vector<int32_t>;
// CPU sets by local rank index on one host: launchers bind by that index and
// apply the same list on every host.
using RankCpus = std::vector<CpuSet>;

constexpr std::array<std::string_view, 4> kPresets = {"hydra", "pals", "srun",
                                                      "openmpi"};
constexpr std::array<std::string_view, 9> kPlaceholders = {
    "nranks",   "nnodes", "ppn",  "cores_per_rank", "hosts",
    "hostfile", "cpus",   "args", "program"};

[[noreturn]] void Fail(const std::string& message) {
  throw std::invalid_argument(message);
}

std::string Join(const Words& words, std::string_view separator) {
  std::string text;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) text += separator;
    text += words[i];
  }
  return text;
}

void Append(Words& argv, const Words& words) {
  argv.insert(argv.end(), words.begin(), words.end());
}

std::string DefaultExecutable(std::string_view preset) {
  if (preset == "srun") return "srun";
  if (preset == "openmpi") return "mpirun";
  return "mpiexec";
}

std::string TotalRanks(const MpiLaunch& launch) {
  return std::to_string(static_cast<int64_t>(launch.hosts.size()) *
                        launch.ranks_per_node);
}

void ValidateCpus(const MpiLaunch& launch) {
  if (launch.cpus.empty()) return;
  if (launch.cpus.size() != launch.hosts.size()) {
    Fail("MPI launch: " + std::to_string(launch.cpus.size()) +
         " CPU lists for " + std::to_string(launch.hosts.size()) + " hosts");
  }
  const size_t per_node = static_cast<size_t>(launch.ranks_per_node) *
                          static_cast<size_t>(launch.cores_per_rank);
  for (const CpuSet& node : launch.cpus) {
    if (node.size() != per_node) {
      Fail("MPI launch: a node has " + std::to_string(node.size()) +
           " CPU ids, expected ranks_per_node * cores_per_rank = " +
           std::to_string(per_node));
    }
    if (std::any_of(node.begin(), node.end(), [](int32_t c) { return c < 0; }))
      Fail("MPI launch: negative CPU id");
  }
}

void Validate(const MpiLaunch& launch) {
  if (launch.hosts.empty()) Fail("MPI launch: no hosts");
  for (const std::string& host : launch.hosts) {
    // A comma or blank would split the host inside the launcher's host list.
    if (host.empty() || host.find_first_of(", \t\n") != std::string::npos)
      Fail("MPI launch: bad host name \"" + host + "\"");
  }
  if (launch.ranks_per_node < 1 || launch.cores_per_rank < 1)
    Fail("MPI launch: ranks_per_node and cores_per_rank must be >= 1");
  if (launch.program.empty()) Fail("MPI launch: empty program");
  ValidateCpus(launch);
}

// One host as the launcher sees it: the virtual nodes merged onto it and
// their CPU sets, rank by rank.
struct HostSlots {
  std::string host;
  int32_t nodes = 0;
  RankCpus ranks;
};

HostSlots* FindHost(std::vector<HostSlots>& groups, const std::string& host,
                    bool adjacent_only) {
  if (adjacent_only) {
    return !groups.empty() && groups.back().host == host ? &groups.back()
                                                         : nullptr;
  }
  auto it = std::find_if(groups.begin(), groups.end(),
                         [&](const HostSlots& g) { return g.host == host; });
  return it == groups.end() ? nullptr : &*it;
}

void AppendRanks(RankCpus& ranks, const CpuSet& node, int32_t cores) {
  const auto width = static_cast<std::ptrdiff_t>(cores);
  for (auto it = node.begin(); it != node.end(); it += width)
    ranks.emplace_back(it, it + width);
}

// Merges virtual nodes that share a host, as the launcher will: Hydra merges
// only adjacent repeats, Slurm and Open MPI every repeat.
std::vector<HostSlots> GroupHosts(const MpiLaunch& launch, bool adjacent_only) {
  std::vector<HostSlots> groups;
  for (size_t i = 0; i < launch.hosts.size(); ++i) {
    HostSlots* group = FindHost(groups, launch.hosts[i], adjacent_only);
    if (!group) group = &groups.emplace_back(HostSlots{launch.hosts[i], 0, {}});
    ++group->nodes;
    if (!launch.cpus.empty())
      AppendRanks(group->ranks, launch.cpus[i], launch.cores_per_rank);
  }
  return groups;
}

// The one list every host accepts: a host with fewer local ranks uses only a
// prefix of it. nullopt when the hosts disagree or no CPU ids are known.
std::optional<RankCpus> CommonBinding(const MpiLaunch& launch,
                                      const std::vector<HostSlots>& groups) {
  if (launch.cpus.empty()) return std::nullopt;
  const RankCpus* longest = &groups.front().ranks;
  for (const HostSlots& g : groups) {
    if (g.ranks.size() > longest->size()) longest = &g.ranks;
  }
  for (const HostSlots& g : groups) {
    if (!std::equal(g.ranks.begin(), g.ranks.end(), longest->begin()))
      return std::nullopt;
  }
  return *longest;
}

std::string FormatSets(const RankCpus& ranks, std::string_view within,
                       std::string_view between) {
  Words sets;
  for (const CpuSet& set : ranks) {
    Words ids;
    for (int32_t cpu : set) ids.push_back(std::to_string(cpu));
    sets.push_back(Join(ids, within));
  }
  return Join(sets, between);
}

std::string HexMask(const CpuSet& cpus) {
  const auto top =
      static_cast<size_t>(*std::max_element(cpus.begin(), cpus.end()));
  std::vector<unsigned> nibbles(top / 4 + 1, 0);
  for (int32_t cpu : cpus) {
    const auto bit = static_cast<size_t>(cpu);
    nibbles[bit / 4] |= 1u << (bit % 4);
  }
  std::string hex = "0x";
  for (auto it = nibbles.rbegin(); it != nibbles.rend(); ++it)
    hex += "0123456789abcdef"[*it];
  return hex;
}

std::string SlurmMasks(const RankCpus& ranks) {
  Words masks;
  for (const CpuSet& set : ranks) masks.push_back(HexMask(set));
  return Join(masks, ",");
}

// Hydra's and PALS' mpiexec differ only in option spelling and binding.
struct MpiexecFlags {
  const char* ppn;
  const char* hosts;
  const char* bind;
};

Words MpiexecArgv(const std::string& exe, const MpiLaunch& launch,
                  const MpiexecFlags& flags, std::string binding) {
  Words argv = {exe, "-n", TotalRanks(launch)};
  Append(argv, {flags.ppn, std::to_string(launch.ranks_per_node)});
  Append(argv, {flags.hosts, Join(launch.hosts, ",")});
  Append(argv, {flags.bind, std::move(binding)});
  return argv;
}

Words HydraArgv(const std::string& exe, const MpiLaunch& launch) {
  // Hydra (MPICH 4.0.2, checked) runs adjacent repeats of a host as one proxy
  // and binds its i-th local rank to the i-th entry of the user list; local
  // ranks past the list's end are left unbound.
  auto binding = CommonBinding(launch, GroupHosts(launch, true));
  return MpiexecArgv(
      exe, launch, {"-ppn", "-hosts", "-bind-to"},
      binding ? "user:" + FormatSets(*binding, "+", ",") : "none");
}

Words PalsArgv(const std::string& exe, const MpiLaunch& launch) {
  std::vector<HostSlots> groups = GroupHosts(launch, false);
  // How PALS numbers local ranks on a repeated host is unverified, so a
  // repeated host gets no binding rather than a wrong one.
  std::optional<RankCpus> binding;
  if (groups.size() == launch.hosts.size())
    binding = CommonBinding(launch, groups);
  return MpiexecArgv(
      exe, launch, {"--ppn", "--hosts", "--cpu-bind"},
      binding ? "list:" + FormatSets(*binding, ",", ":") : "none");
}

Words SrunArgv(const std::string& exe, const MpiLaunch& launch) {
  // Slurm ignores repeats in --nodelist and has one --ntasks-per-node.
  std::vector<HostSlots> groups = GroupHosts(launch, false);
  Words names;
  for (const HostSlots& g : groups) {
    if (g.nodes != groups.front().nodes)
      Fail("srun: every host must carry the same number of virtual nodes");
    names.push_back(g.host);
  }
  auto binding = CommonBinding(launch, groups);
  const int32_t per_host = groups.front().nodes * launch.ranks_per_node;
  return {exe, "-N", std::to_string(groups.size()), "-n", TotalRanks(launch),
          "--nodelist=" + Join(names, ","),
          "--ntasks-per-node=" + std::to_string(per_host),
          "--cpus-per-task=" + std::to_string(launch.cores_per_rank),
          // The pilot is itself a step holding these nodes' CPUs.
          "--overlap",
          "--cpu-bind=" + (binding ? "mask_cpu:" + SlurmMasks(*binding)
                                   : std::string("none"))};
}

Words OpenMpiArgv(const std::string& exe, const MpiLaunch& launch) {
  Words slots;
  for (const HostSlots& g : GroupHosts(launch, false))
    slots.push_back(g.host + ":" +
                    std::to_string(g.nodes * launch.ranks_per_node));
  // Open MPI cannot bind to arbitrary OS CPU ids from the command line, and
  // its default binding starts at core 0 whatever else runs on the node.
  return {exe,        "-np",  TotalRanks(launch), "--host", Join(slots, ","),
          "--map-by", "slot", "--bind-to",        "none"};
}

Words PresetArgv(std::string_view preset, const std::string& exe,
                 const MpiLaunch& launch) {
  if (preset == "pals") return PalsArgv(exe, launch);
  if (preset == "srun") return SrunArgv(exe, launch);
  if (preset == "openmpi") return OpenMpiArgv(exe, launch);
  return HydraArgv(exe, launch);
}

std::string PlaceholderValue(std::string_view name, const MpiLaunch& launch) {
  if (name == "nranks") return TotalRanks(launch);
  if (name == "nnodes") return std::to_string(launch.hosts.size());
  if (name == "ppn") return std::to_string(launch.ranks_per_node);
  if (name == "cores_per_rank") return std::to_string(launch.cores_per_rank);
  if (name == "hosts") return Join(launch.hosts, ",");
  if (name == "hostfile") {
    if (launch.nodefile.empty())
      Fail("launcher template uses {hostfile} but no hostfile was written");
    return launch.nodefile;
  }
  auto binding = CommonBinding(launch, GroupHosts(launch, true));  // {cpus}
  return binding ? FormatSets(*binding, ",", ":") : "";
}

std::string Substitute(const std::string& word, const MpiLaunch& launch) {
  std::string text;
  size_t pos = 0;
  for (size_t open; (open = word.find('{', pos)) != std::string::npos;) {
    const size_t close = word.find('}', open);
    text.append(word, pos, open - pos);
    text += PlaceholderValue(
        std::string_view(word).substr(open + 1, close - open - 1), launch);
    pos = close + 1;
  }
  text.append(word, pos);
  return text;
}

void CheckTemplateWord(const std::string& word) {
  const std::string where = " in launcher template word \"" + word + "\"";
  for (size_t pos = 0;
       (pos = word.find_first_of("{}", pos)) != std::string::npos;) {
    if (word[pos] == '}') Fail("'}' without '{'" + where);
    const size_t close = word.find_first_of("{}", pos + 1);
    if (close == std::string::npos || word[close] == '{')
      Fail("unclosed '{'" + where);
    const std::string name = word.substr(pos + 1, close - pos - 1);
    if (std::find(kPlaceholders.begin(), kPlaceholders.end(), name) ==
        kPlaceholders.end()) {
      Fail("unknown placeholder {" + name + "}" + where +
           "; known: {nranks} {nnodes} {ppn} {cores_per_rank} {hosts} "
           "{hostfile} {cpus} {args} {program}");
    }
    if ((name == "args" || name == "program") && word.size() != name.size() + 2)
      Fail("{" + name + "} must be a whole word" + where);
    pos = close + 1;
  }
}

Words ParseTemplate(const std::string& spec) {
  Words words;
  std::string word;
  for (char c : spec + " ") {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      word += c;
    } else if (!word.empty()) {
      CheckTemplateWord(word);
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (std::find(words.begin(), words.end(), "{program}") == words.end())
    Fail("launcher template \"" + spec + "\" has no {program} word");
  return words;
}

std::string_view DetectPreset(char** environ_entries) {
  std::vector<std::string_view> names;
  for (char** entry = environ_entries; entry && *entry; ++entry) {
    std::string_view text(*entry);
    names.push_back(text.substr(0, text.find('=')));
  }
  auto any_prefix = [&](std::string_view prefix) {
    return std::any_of(names.begin(), names.end(), [&](std::string_view n) {
      return n.starts_with(prefix);
    });
  };
  auto has = [&](std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  const bool cray_pbs =
      has("PBS_JOBID") && (has("CRAY_MPICH_DIR") || has("CRAY_MPICH_VERSION"));
  if (any_prefix("PALS_") || cray_pbs) return "pals";
  if (has("SLURM_JOB_ID")) return "srun";
  if (any_prefix("HYDRA_") || any_prefix("PMI_") || has("MPI_LOCALRANKID"))
    return "hydra";
  if (any_prefix("OMPI_") || any_prefix("PRTE_")) return "openmpi";
  return "hydra";
}

}  // namespace

std::string HostfileText(const MpiLaunch& launch) {
  std::string text;
  for (const std::string& host : launch.hosts) text += host + "\n";
  return text;
}

MpiLauncher::MpiLauncher(std::string name, std::string executable,
                         Words template_words)
    : name_(std::move(name)),
      executable_(std::move(executable)),
      template_(std::move(template_words)) {}

MpiLauncher MpiLauncher::FromSpec(const std::string& spec) {
  if (spec.find_first_of("{} \t\n") != std::string::npos) {
    Words words = ParseTemplate(spec);
    std::string executable = words.front();
    return MpiLauncher("template", std::move(executable), std::move(words));
  }
  const size_t colon = spec.find(':');
  const std::string preset = spec.substr(0, colon);
  if (std::find(kPresets.begin(), kPresets.end(), preset) == kPresets.end()) {
    Fail("unknown launcher \"" + spec +
         "\": expected hydra, pals, srun, openmpi, PRESET:EXECUTABLE, or a "
         "template containing {program}");
  }
  if (colon == std::string::npos)
    return MpiLauncher(preset, DefaultExecutable(preset), {});
  std::string executable = spec.substr(colon + 1);
  if (executable.empty())
    Fail("launcher \"" + spec + "\": no executable after ':'");
  return MpiLauncher(preset, std::move(executable), {});
}

MpiLauncher MpiLauncher::Detect(char** environ_entries) {
  std::string preset(DetectPreset(environ_entries));
  std::string executable = DefaultExecutable(preset);
  return MpiLauncher(std::move(preset), std::move(executable), {});
}

std::vector<std::string> MpiLauncher::Argv(const MpiLaunch& launch) const {
  Validate(launch);
  if (!template_.empty()) return TemplateArgv(launch);
  Words argv = PresetArgv(name_, executable_, launch);
  Append(argv, launch.launcher_args);
  Append(argv, launch.program);
  return argv;
}

std::vector<std::string> MpiLauncher::TemplateArgv(
    const MpiLaunch& launch) const {
  Words argv;
  for (const std::string& word : template_) {
    if (word == "{args}") {
      Append(argv, launch.launcher_args);
    } else if (word == "{program}") {
      Append(argv, launch.program);
    } else if (std::string text = Substitute(word, launch); !text.empty()) {
      argv.push_back(std::move(text));  // a word that became empty is dropped
    }
  }
  return argv;
}

bool MpiLauncher::uses_hostfile() const {
  return std::any_of(template_.begin(), template_.end(), [](const auto& word) {
    return word.find("{hostfile}") != std::string::npos;
  });
}

}  // namespace sortie
