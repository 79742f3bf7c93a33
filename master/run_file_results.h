// The /results table of run.h5: one row per result of each task's latest
// attempt (docs/hdf5.md). Internal to master/run_file.cc.
#pragma once

#include <string>
#include <vector>

#include "master/run_file.h"
#include "master/run_file_columns.h"

namespace sortie::run_file_internal {

/// Column names of /results in schema order.
const std::vector<std::string>& ResultColumnNames();

/// Rows /results will have: every task's results, added up.
size_t ResultRowCount(const RunView& view);

/// Writes the columns of /results into `table` (ResultRowCount rows): tasks
/// in row order, each task's results in the order stored (key order).
void WriteResultColumns(const Table& table, const RunView& view);

}  // namespace sortie::run_file_internal
