#include "master/run_file_spec.h"

namespace sortie {
namespace {

// The manifest's own path, else the default the task was given.
std::string OutputPath(const TaskSpec& spec, uint32_t row,
                       std::string_view logs_dir,
                       const std::string& manifest_path,
                       std::string_view suffix) {
  if (!manifest_path.empty() || logs_dir.empty()) return manifest_path;
  // Functions have no output files; checked here to skip copying logs_dir.
  if (!spec.function.empty()) return std::string();
  return DefaultOutputPath(std::string(logs_dir), spec, row, suffix);
}

}  // namespace

std::shared_ptr<const SpecColumns> PackSpecColumns(
    const std::vector<TaskSpec>& specs, std::string_view logs_dir,
    bool parallel) {
  std::vector<run_file_internal::ColumnJob> jobs;
  run_file_internal::ColumnJobs add(&jobs, "", specs.size());
  add.Text("id",
           [&specs](size_t i) -> const std::string& { return specs[i].id; });
  add.Text("stdout", [&specs, logs_dir](size_t i) {
    return OutputPath(specs[i], static_cast<uint32_t>(i), logs_dir,
                      specs[i].extras().stdout_path, ".out");
  });
  add.Text("stderr", [&specs, logs_dir](size_t i) {
    return OutputPath(specs[i], static_cast<uint32_t>(i), logs_dir,
                      specs[i].extras().stderr_path, ".err");
  });
  // CommandText builds a string per row (twice: width, then data); still
  // cheaper than holding every command text in memory at once. A function
  // task has no command; "" beats CommandText's "[]" for telling them apart.
  add.Text("command", [&specs](size_t i) {
    return specs[i].function.empty() ? CommandText(specs[i]) : std::string();
  });
  add.Text("tags", [&specs](size_t i) -> std::string_view {
    return specs[i].tags_json;
  });
  add.Int32("nodes", [&specs](size_t i) { return specs[i].nodes; });
  add.Int32("ranks_per_node",
            [&specs](size_t i) { return specs[i].ranks_per_node; });
  add.Int32("cores_per_rank",
            [&specs](size_t i) { return specs[i].cores_per_rank; });
  add.Int32("gpus_per_rank",
            [&specs](size_t i) { return specs[i].gpus_per_rank; });
  add.Int32("priority", [&specs](size_t i) { return specs[i].priority; });
  add.Float64("est_runtime",
              [&specs](size_t i) { return specs[i].est_runtime; });
  add.Text("function", [&specs](size_t i) -> const std::string& {
    return specs[i].function;
  });
  auto packed = std::make_shared<SpecColumns>();
  static_cast<run_file_internal::PackedColumns&>(*packed) =
      run_file_internal::PackColumns(std::move(jobs), parallel);
  return packed;
}

}  // namespace sortie
