// `sortie validate`: check a manifest without MPI and without running it.
#pragma once

#include <string>
#include <vector>

#include "master/manifest.h"

namespace sortie {

/// Prints FILE:LINE: problem for every bad line and returns 2, or prints a
/// one-line summary and returns 0 when the manifest is valid.
int ValidateCommand(const std::string& path, ManifestFormat format);

/// Prints every error to stderr, one FILE:LINE: line each, then a line with
/// the number of problems (those of a "N more errors not shown" note
/// included) ending with `consequence` (e.g. "; nothing was run").
void ReportManifestErrors(const std::string& path,
                          const std::vector<ManifestError>& errors,
                          const std::string& consequence);

}  // namespace sortie
