// libFuzzer entry point for the manifest reader. Build and run by hand:
//   clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address -I. \
//     tests/fuzz/manifest_fuzz.cc master/manifest*.cc common/sha256.cc \
//     common/json_escape.cc common/task.cc -lsimdjson -o /tmp/manifest_fuzz
//   /tmp/manifest_fuzz -max_total_time=60 tests/fuzz/corpus/manifest
// Besides not crashing, it checks the reader's promises: valid exactly when
// no errors, nothing to run when invalid, and sane tasks when valid.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "master/manifest.h"

namespace {

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

void CheckTasks(const sortie::Manifest& manifest) {
  static simdjson::dom::parser parser;
  std::unordered_set<std::string> ids;
  uint64_t last_line = 0;
  for (const sortie::TaskSpec& task : manifest.tasks) {
    Check(!task.id.empty() && ids.insert(task.id).second);
    Check(task.line > last_line);
    last_line = task.line;
    Check(!task.command.empty() && !task.command[0].empty());
    Check(!task.shell || task.command.size() == 1);
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
