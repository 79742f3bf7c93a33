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
  using run_file_internal::NumberFeed;
  using run_file_internal::TextFeed;
  const size_t rows = specs.size();
  auto id = [&specs](size_t i) -> const std::string& { return specs[i].id; };
  auto out = [&specs, logs_dir](size_t i) {
    return OutputPath(specs[i], static_cast<uint32_t>(i), logs_dir,
                      specs[i].extras().stdout_path, ".out");
  };
  auto err = [&specs, logs_dir](size_t i) {
    return OutputPath(specs[i], static_cast<uint32_t>(i), logs_dir,
                      specs[i].extras().stderr_path, ".err");
  };
  // CommandText builds a string per row (twice: width, then data); still
  // cheaper than holding every command text in memory at once. A function
  // task has no command; "" beats CommandText's "[]" for telling them apart.
  auto command = [&specs](size_t i) {
    return specs[i].function.empty() ? CommandText(specs[i]) : std::string();
  };
  auto tags = [&specs](size_t i) -> std::string_view {
    return specs[i].tags_json;
  };
  auto function = [&specs](size_t i) -> const std::string& {
    return specs[i].function;
  };
  const auto width = run_file_internal::LongestValues(rows, id, out, err,
                                                      command, tags, function);
  TextFeed id_feed(rows, H5T_CSET_UTF8, width[0], id, parallel);
  TextFeed out_feed(rows, H5T_CSET_UTF8, width[1], out, parallel);
  TextFeed err_feed(rows, H5T_CSET_UTF8, width[2], err, parallel);
  TextFeed command_feed(rows, H5T_CSET_UTF8, width[3], command, parallel);
  TextFeed tags_feed(rows, H5T_CSET_UTF8, width[4], tags, parallel);
  TextFeed function_feed(rows, H5T_CSET_UTF8, width[5], function, parallel);
  auto int32_feed = [&](auto get) {
    return NumberFeed<int32_t, decltype(get)>(rows, get, parallel);
  };
  auto nodes = int32_feed([&specs](size_t i) { return specs[i].nodes; });
  auto ranks_per_node =
      int32_feed([&specs](size_t i) { return specs[i].ranks_per_node; });
  auto cores_per_rank =
      int32_feed([&specs](size_t i) { return specs[i].cores_per_rank; });
  auto gpus_per_rank =
      int32_feed([&specs](size_t i) { return specs[i].gpus_per_rank; });
  auto priority = int32_feed([&specs](size_t i) { return specs[i].priority; });
  auto est_runtime_get = [&specs](size_t i) { return specs[i].est_runtime; };
  NumberFeed<double, decltype(est_runtime_get)> est_runtime(
      rows, est_runtime_get, parallel);
  run_file_internal::FeedRows(rows, id_feed, out_feed, err_feed, command_feed,
                              tags_feed, nodes, ranks_per_node, cores_per_rank,
                              gpus_per_rank, priority, est_runtime,
                              function_feed);
  auto packed = std::make_shared<SpecColumns>();
  auto& columns = packed->columns;
  columns.emplace_back("id", id_feed.Finish());
  columns.emplace_back("stdout", out_feed.Finish());
  columns.emplace_back("stderr", err_feed.Finish());
  columns.emplace_back("command", command_feed.Finish());
  columns.emplace_back("tags", tags_feed.Finish());
  columns.emplace_back("nodes", nodes.Finish());
  columns.emplace_back("ranks_per_node", ranks_per_node.Finish());
  columns.emplace_back("cores_per_rank", cores_per_rank.Finish());
  columns.emplace_back("gpus_per_rank", gpus_per_rank.Finish());
  columns.emplace_back("priority", priority.Finish());
  columns.emplace_back("est_runtime", est_runtime.Finish());
  columns.emplace_back("function", function_feed.Finish());
  return packed;
}

}  // namespace sortie
