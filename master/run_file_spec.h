// The /tasks columns that come from the task specs alone, packed ahead of
// time (see PackSpecColumns in master/run_file.h). Internal to
// master/run_file.cc.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "master/run_file.h"
#include "master/run_file_columns.h"

namespace sortie {

struct SpecColumns {
  /// Packed columns by name, in the order they were packed.
  std::vector<std::pair<std::string, run_file_internal::PackedColumn>> columns;

  /// The column named `name`; throws std::logic_error when there is none.
  const run_file_internal::PackedColumn& Get(std::string_view name) const;
};

}  // namespace sortie
