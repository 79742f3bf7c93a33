#include "master/walltime.h"

#include <cstdio>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <vector>

namespace sortie {
namespace {

// Runs `command` (bounded by coreutils' timeout) and returns its stdout.
std::optional<std::string> Output(const std::string& command) {
  FILE* pipe = popen(("timeout 5 " + command + " 2>/dev/null").c_str(), "r");
  if (!pipe) return std::nullopt;
  std::string output;
  char buffer[4096];
  size_t got = 0;
  while ((got = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    output.append(buffer, got);
  }
  if (pclose(pipe) != 0) return std::nullopt;
  return output;
}

std::optional<double> Attribute(const std::string& text,
                                const std::string& name) {
  std::smatch match;
  std::regex pattern(name + "\\s*=\\s*([0-9:-]+)");
  if (!std::regex_search(text, match, pattern)) return std::nullopt;
  return ParseDuration(match[1].str());
}

}  // namespace

std::optional<double> ParseDuration(const std::string& text) {
  std::smatch match;
  static const std::regex kForm(
      R"(^(?:(\d+)-)?(?:(?:(\d+):)?(\d+):)?(\d+(?:\.\d+)?)$)");
  if (text.empty() || !std::regex_match(text, match, kForm)) {
    return std::nullopt;
  }
  auto number = [&](size_t i) {
    return match[i].matched ? std::stod(match[i].str()) : 0.0;
  };
  // "MM:SS" fills groups 3 and 4; "HH:MM:SS" fills 2, 3 and 4.
  return number(1) * 86400 + number(2) * 3600 + number(3) * 60 + number(4);
}

std::optional<double> TimeLeftFromQstat(const std::string& qstat_output) {
  std::optional<double> limit =
      Attribute(qstat_output, "Resource_List\\.walltime");
  if (!limit) return std::nullopt;
  std::optional<double> used =
      Attribute(qstat_output, "resources_used\\.walltime");
  return *limit - used.value_or(0.0);
}

std::optional<double> AskBatchSystemForTimeLeft(std::string* source) {
  if (const char* job = std::getenv("SLURM_JOB_ID")) {
    *source = "squeue";
    std::optional<std::string> out =
        Output(std::string("squeue -h -o %L -j ") + job);
    if (!out) return std::nullopt;
    std::string text = *out;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
      text.pop_back();
    }
    return ParseDuration(text);
  }
  if (const char* job = std::getenv("PBS_JOBID")) {
    *source = "qstat";
    std::optional<std::string> out = Output(std::string("qstat -f ") + job);
    if (!out) return std::nullopt;
    return TimeLeftFromQstat(*out);
  }
  return std::nullopt;
}

}  // namespace sortie
