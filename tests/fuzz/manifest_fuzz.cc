// libFuzzer entry point for the manifest reader. `ctest -L fuzz` runs it
// through run_fuzz.sh, which builds it with this command (run from the
// source directory) and fuzzes a copy of the corpus:
//   clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined
//     -fno-sanitize-recover=undefined -I. tests/fuzz/manifest_fuzz.cc
//     master/manifest*.cc common/sha256.cc common/json_escape.cc
//     common/task.cc -lsimdjson -o /tmp/manifest_fuzz
//   mkdir -p /tmp/corpus && cp tests/fuzz/corpus/manifest/* /tmp/corpus
//   /tmp/manifest_fuzz -max_total_time=60 -dict=tests/fuzz/manifest.dict
//     /tmp/corpus
// (Fuzzing the committed corpus directory itself would add files to it.)
// Besides not crashing, it checks the reader's promises: valid exactly when
// no errors, errors in line order, nothing to run when invalid, and sane
// tasks when valid, with dependencies that resolve and never form a cycle.
#include <simdjson.h>

#include <algorithm>
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
  Check(task.timeout == 0 || (task.timeout > 0 && task.timeout <= kMaxTimeout));
  Check(task.retries >= 0 && task.retries <= kMaxRetries);
}

// Every `after` row names another task, once; and the tasks can be ordered
// so each comes after what it waits for (Kahn's algorithm finishes).
void CheckDependencies(const std::vector<sortie::TaskSpec>& tasks) {
  std::vector<size_t> waiting(tasks.size(), 0);
  std::vector<std::vector<uint32_t>> unblocks(tasks.size());
  for (uint32_t row = 0; row < tasks.size(); ++row) {
    std::vector<uint32_t> after = tasks[row].after;
    std::sort(after.begin(), after.end());
    Check(std::adjacent_find(after.begin(), after.end()) == after.end());
    for (uint32_t before : after) {
      Check(before < tasks.size() && before != row);
      unblocks[before].push_back(row);
    }
    waiting[row] = after.size();
  }
  std::vector<uint32_t> ready;
  for (uint32_t row = 0; row < tasks.size(); ++row) {
    if (waiting[row] == 0) ready.push_back(row);
  }
  size_t done = 0;
  while (!ready.empty()) {
    const uint32_t row = ready.back();
    ready.pop_back();
    ++done;
    for (uint32_t next : unblocks[row]) {
      if (--waiting[next] == 0) ready.push_back(next);
    }
  }
  Check(done == tasks.size());
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
    Check(!function ||
          (task.ranks_per_node == 1 && task.extras().cwd.empty() &&
           task.extras().env.empty() && task.extras().launcher_args.empty()));
    simdjson::dom::element args;
    Check(parser.parse(task.args_json.str()).get(args) == simdjson::SUCCESS);
    for (const std::string* path :
         {&task.extras().cwd, &task.extras().stdout_path,
          &task.extras().stderr_path}) {
      Check(path->empty() || (*path)[0] == '/');
    }
    simdjson::dom::element tags;
    Check(parser.parse(task.tags_json.str()).get(tags) == simdjson::SUCCESS &&
          tags.is_object());
  }
  CheckDependencies(manifest.tasks);
}

// Problems come in line order, each on a line the text has (or on none),
// with the "N more errors" note, if any, last.
void CheckErrors(std::string_view text,
                 const std::vector<sortie::ManifestError>& errors) {
  const auto lines =
      static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  uint64_t last_line = 0;
  for (size_t i = 0; i < errors.size(); ++i) {
    const sortie::ManifestError& error = errors[i];
    Check(!error.message.empty() && !error.ToString().empty());
    Check(error.line <= lines);
    if (error.line == 0) {
      Check(i + 1 == errors.size());
      continue;
    }
    Check(error.line >= last_line);
    last_line = error.line;
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
  CheckErrors(text, errors);
  CheckTasks(manifest);
  if (format == sortie::ManifestFormat::kPlain) {
    for (const sortie::TaskSpec& task : manifest.tasks) {
      Check(task.after.empty() && task.timeout == 0 && task.retries == 0);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Run(text, "fuzz.manifest", sortie::ManifestFormat::kAuto);
  Run(text, "fuzz.jsonl", sortie::ManifestFormat::kJsonLines);
  Run(text, "fuzz.txt", sortie::ManifestFormat::kPlain);
  return 0;
}
