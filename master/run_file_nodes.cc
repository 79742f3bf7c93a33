#include "master/run_file_nodes.h"

namespace sortie::run_file_internal {

const std::vector<std::string>& NodeColumnNames() {
  static const std::vector<std::string> names = {"rank", "host", "cores",
                                                 "gpus", "allocation"};
  return names;
}

const std::vector<std::string>& AllocationColumnNames() {
  static const std::vector<std::string> names = {"started_at", "ended_at",
                                                 "ranks", "nodes"};
  return names;
}

void WriteNodeColumns(const Table& table,
                      const std::vector<NodeRecord>& nodes) {
  WriteInt32Column(table, "rank", [&](size_t i) { return nodes[i].rank; });
  WriteTextColumn(table, "host", [&](size_t i) -> const std::string& {
    return nodes[i].host;
  });
  WriteInt32Column(table, "cores", [&](size_t i) { return nodes[i].cores; });
  WriteInt32Column(table, "gpus", [&](size_t i) { return nodes[i].gpus; });
  WriteInt32Column(table, "allocation",
                   [&](size_t i) { return nodes[i].allocation; });
}

void WriteAllocationColumns(const Table& table,
                            std::span<const AllocationRecord> allocations) {
  WriteFloat64Column(table, "started_at",
                     [&](size_t i) { return allocations[i].started_at; });
  WriteFloat64Column(table, "ended_at",
                     [&](size_t i) { return allocations[i].ended_at; });
  WriteInt32Column(table, "ranks",
                   [&](size_t i) { return allocations[i].ranks; });
  WriteInt32Column(table, "nodes",
                   [&](size_t i) { return allocations[i].nodes; });
}

}  // namespace sortie::run_file_internal
