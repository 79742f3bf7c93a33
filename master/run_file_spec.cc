#include "master/run_file_spec.h"

namespace sortie {
namespace {

using run_file_internal::PackedColumn;
using run_file_internal::PackNumberColumn;
using run_file_internal::PackTextColumn;

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
  auto packed = std::make_shared<SpecColumns>();
  const size_t rows = specs.size();
  auto add = [&](const char* name, PackedColumn column) {
    packed->columns.emplace_back(name, std::move(column));
  };
  auto text = [&](const char* name, auto get) {
    add(name, PackTextColumn(rows, get, parallel));
  };
  auto int32 = [&](const char* name, auto get) {
    add(name, PackNumberColumn<int32_t>(rows, get, parallel));
  };
  text("id", [&](size_t i) -> const std::string& { return specs[i].id; });
  text("stdout", [&](size_t i) {
    return OutputPath(specs[i], static_cast<uint32_t>(i), logs_dir,
                      specs[i].extras().stdout_path, ".out");
  });
  text("stderr", [&](size_t i) {
    return OutputPath(specs[i], static_cast<uint32_t>(i), logs_dir,
                      specs[i].extras().stderr_path, ".err");
  });
  // CommandText builds a string per row (twice: width, then data); still
  // cheaper than holding every command text in memory at once. A function
  // task has no command; "" beats CommandText's "[]" for telling them apart.
  text("command", [&](size_t i) {
    return specs[i].function.empty() ? CommandText(specs[i]) : std::string();
  });
  text("tags",
       [&](size_t i) -> const std::string& { return specs[i].tags_json; });
  int32("nodes", [&](size_t i) { return specs[i].nodes; });
  int32("ranks_per_node", [&](size_t i) { return specs[i].ranks_per_node; });
  int32("cores_per_rank", [&](size_t i) { return specs[i].cores_per_rank; });
  int32("gpus_per_rank", [&](size_t i) { return specs[i].gpus_per_rank; });
  int32("priority", [&](size_t i) { return specs[i].priority; });
  add("est_runtime",
      PackNumberColumn<double>(
          rows, [&](size_t i) { return specs[i].est_runtime; }, parallel));
  text("function",
       [&](size_t i) -> const std::string& { return specs[i].function; });
  return packed;
}

}  // namespace sortie
