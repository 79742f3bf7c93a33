#include "master/run_file_results.h"

#include <cstdint>
#include <utility>

namespace sortie::run_file_internal {

const std::vector<std::string>& ResultColumnNames() {
  static const std::vector<std::string> names = {"task", "key", "value",
                                                 "text"};
  return names;
}

size_t ResultRowCount(const RunView& view) {
  size_t rows = 0;
  for (size_t task = 0; task < view.notes.size(); ++task) {
    rows += view.notes[task].results.size();
  }
  return rows;
}

void WriteResultColumns(const Table& table, const RunView& view) {
  // The column writers ask for rows by index; a flat index of (task, value)
  // costs 16 bytes a row, far less than the values themselves.
  std::vector<std::pair<int32_t, const ResultValue*>> rows;
  rows.reserve(table.rows);
  for (size_t task = 0; task < view.notes.size(); ++task) {
    for (const ResultValue& value : view.notes[task].results) {
      rows.emplace_back(static_cast<int32_t>(task), &value);
    }
  }
  WriteInt32Column(table, "task", [&](size_t i) { return rows[i].first; });
  WriteTextColumn(table, "key", [&](size_t i) -> const std::string& {
    return rows[i].second->key;
  });
  WriteFloat64Column(table, "value",
                     [&](size_t i) { return rows[i].second->value; });
  WriteTextColumn(table, "text", [&](size_t i) -> const std::string& {
    return rows[i].second->text;
  });
}

}  // namespace sortie::run_file_internal
