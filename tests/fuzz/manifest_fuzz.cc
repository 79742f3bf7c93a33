// libFuzzer entry point for the manifest reader. Build (one command) and run
// by hand:
//   clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address -I.
//     tests/fuzz/manifest_fuzz.cc master/manifest*.cc common/sha256.cc
//     common/json_escape.cc common/task.cc -lsimdjson -o /tmp/manifest_fuzz
//   /tmp/manifest_fuzz -max_total_time=60 tests/fuzz/corpus/manifest
// Besides not crashing, it checks the reader's promises: valid exactly when
// no errors, nothing to run when invalid, and sane tasks when valid.
#include <simdjson.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "master/manifest.h"
#include "master/manifest_util.h"

namespace {

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

void CheckResources(const sortie::TaskSpec& task) {
  using namespace sortie::manifest_internal;
  Check(task.nodes >= 1 && task.nodes <= kMaxNodes);
  Check(task.ranks_per_node >= 1 && task.ranks_per_node <= kMaxRanksPerNode);
  Check(task.cores_per_rank >= 1 && task.cores_per_rank <= kMaxCoresPerRank);
  Check(task.gpus_per_rank >= 0 && task.gpus_per_rank <= kMaxGpusPerRank);
  Check(int64_t{task.nodes} * task.ranks_per_node <= INT32_MAX);
  Check(int64_t{task.ranks_per_node} * task.cores_per_rank <= kMaxCoresPerNode);
  Check(std::isnan(task.est_runtime) ||
        (task.est_runtime > 0 && std::isfinite(task.est_runtime)));
}

void CheckTasks(const sortie::Manifest& manifest) {
  static simdjson::dom::parser parser;
  std::unordered_set<std::string> ids;
  uint64_t last_line = 0;
  for (const sortie::TaskSpec& task : manifest.tasks) {
    Check(!task.id.empty() && ids.insert(task.id).second);
    Check(task.line > last_line);
    last_line = task.line;
    CheckResources(task);
    const bool function = !task.function.empty();
    Check(function == task.command.empty());
    Check(function || !task.command[0].empty());
    Check(!task.shell || task.command.size() == 1);
    Check(function || task.args_json == "null");
    Check(!function || (task.ranks_per_node == 1 && task.cwd.empty() &&
                        task.env.empty() && task.launcher_args.empty()));
    simdjson::dom::element args;
    Check(parser.parse(task.args_json).get(args) == simdjson::SUCCESS);
    for (const std::string* path :
         {&task.cwd, &task.stdout_path, &task.stderr_path}) {
      Check(path->empty() || (*path)[0] == '/');
    }
    simdjson::dom::element tags;
    Check(parser.parse(task.tags_json).get(tags) == simdjson::SUCCESS &&
          tags.is_object());
  }
}

void Run(std::string_view text, const char* path,
         sortie::ManifestFormat format) {
  sortie::Manifest manifest;
  std::vector<sortie::ManifestError> errors;
  bool ok = sortie::ParseManifest(path, text, format, &manifest, &errors);
  Check(ok == errors.empty());
  Check(manifest.sha256.size() == 64);
  if (!ok) Check(manifest.tasks.empty());
  for (const sortie::ManifestError& error : errors) {
    Check(!error.message.empty() && !error.ToString().empty());
  }
  CheckTasks(manifest);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Run(text, "fuzz.manifest", sortie::ManifestFormat::kAuto);
  Run(text, "fuzz.jsonl", sortie::ManifestFormat::kJsonLines);
  Run(text, "fuzz.txt", sortie::ManifestFormat::kPlain);
  return 0;
}
