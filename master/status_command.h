// `sortie status RUN.h5 [--json]`: where a run stands, while it runs (from
// its journal) and after (from RUN.h5). No MPI.
#pragma once

#include <string>

namespace sortie {

/// Prints the status of the run at `path` (text, or one JSON object with
/// `json`). Returns 0, or 2 with a message on stderr when `path` is neither
/// a sortie run nor has a journal beside it.
int StatusCommand(const std::string& path, bool json);

}  // namespace sortie
