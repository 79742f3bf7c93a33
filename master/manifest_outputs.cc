#include "master/manifest_outputs.h"

#include <string>

#include "master/manifest_util.h"

namespace sortie::manifest_internal {

void CheckOutputNames(const std::vector<TaskSpec>& tasks, const IdTable& ids,
                      const ProblemSink& problem) {
  for (size_t row = 0; row < tasks.size(); ++row) {
    const TaskSpec& task = tasks[row];
    // Function tasks have no default files; an empty id was reported.
    if (!task.function.empty() || task.id.empty()) continue;
    if (IdIsItsFileStem(task.id)) continue;
    // Two changed ids never meet: their row suffixes differ. Ids are
    // unique, so only a task whose id is this stem can share the files.
    const std::string stem = LogFileStem(task.id, static_cast<uint32_t>(row));
    const int64_t owner_row = ids.Find(tasks, stem);
    if (owner_row < 0) continue;
    const TaskSpec& owner = tasks[static_cast<size_t>(owner_row)];
    if (!owner.function.empty()) continue;
    problem(owner.line, "task " + Quote(owner.id) +
                            " would write the same output files as task " +
                            Quote(task.id) + " (line " +
                            std::to_string(task.line) +
                            "), whose id is not a safe file name and becomes " +
                            Quote(stem) + " in file names; rename one");
  }
}

}  // namespace sortie::manifest_internal
