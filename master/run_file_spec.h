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

struct SpecColumns : run_file_internal::PackedColumns {};

}  // namespace sortie
