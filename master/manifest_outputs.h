// The default output files of a manifest's tasks. An id that is not a safe
// file name is changed for its files and given its row as a suffix
// (LogFileStem), which can spell another task's id: two tasks would then
// write one stdout file and share one result file. Such a manifest is
// refused before anything runs.
#pragma once

#include <vector>

#include "common/task.h"
#include "master/manifest_graph.h"

namespace sortie::manifest_internal {

/// Reports, at the line of the task that owns the id, each command task
/// whose id LogFileStem changes into the id of another command task: both
/// would use the same default .out, .err and .result files. `ids` holds
/// every task of `tasks`. Only changed ids are looked up, so a manifest of
/// plain ids costs one scan of each id.
void CheckOutputNames(const std::vector<TaskSpec>& tasks, const IdTable& ids,
                      const ProblemSink& problem);

}  // namespace sortie::manifest_internal
