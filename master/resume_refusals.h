// What `sortie run` refuses about what an earlier run left at --out:
// starting over it without --overwrite. docs/resilience.md has the
// cases.
#pragma once

#include <string>

namespace sortie {

/// Why `sortie run` must not start a new run at `out`, or "" when it may.
/// For a run that is not resumed, or resumed without a journal to resume:
/// an earlier run's RUN.h5 or journal is never replaced unless `overwrite`,
/// and a RUN.h5 without its journal cannot be resumed (nothing records
/// which of its tasks ran).
std::string RefusalToStart(const std::string& out, bool journal_exists,
                           bool run_file_exists, bool resume, bool overwrite);

}  // namespace sortie
