// Messages to the pilot's stderr that stay whole: every rank's stderr goes
// through the launcher into one stream, where a message written in pieces
// (one per `std::cerr <<`) can be cut by another rank's.
#pragma once

#include <string_view>

namespace sortie {

/// Writes `text` (whole lines, built by the caller) to stderr with a single
/// write(2), retrying only an interrupted or short one. Best effort: with
/// stderr gone there is nowhere left to report the failure.
void WriteToStderr(std::string_view text);

}  // namespace sortie
