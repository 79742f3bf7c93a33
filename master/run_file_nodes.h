// The /nodes and /allocations tables of run.h5: every allocation the run
// ran in, and the nodes of each (docs/hdf5.md). Internal to
// master/run_file.cc.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "master/allocation.h"
#include "master/run_file_columns.h"

namespace sortie::run_file_internal {

/// Column names of /nodes in schema order.
const std::vector<std::string>& NodeColumnNames();

/// Column names of /allocations in schema order.
const std::vector<std::string>& AllocationColumnNames();

/// Writes the columns of /nodes into `table` (one row per node).
void WriteNodeColumns(const Table& table, const std::vector<NodeRecord>& nodes);

/// Writes the columns of /allocations into `table` (one row per
/// allocation).
void WriteAllocationColumns(const Table& table,
                            std::span<const AllocationRecord> allocations);

}  // namespace sortie::run_file_internal
