// Reading the manifest while MPI starts up: MPI_Init on rank 0 mostly waits
// for the other ranks, and a large manifest takes as long again to parse.
#pragma once

#include <future>
#include <string>
#include <vector>

#include "master/manifest.h"

namespace sortie {

/// A manifest as LoadManifest left it: its tasks when `valid`, otherwise
/// what is wrong with it.
struct LoadedManifest {
  Manifest manifest;
  std::vector<ManifestError> errors;
  bool valid = false;
};

/// Reads `path` now, on the calling thread.
LoadedManifest LoadManifestNow(const std::string& path, ManifestFormat format);

/// The launcher's word, before MPI_Init, that this process is rank 0 of
/// MPI_COMM_WORLD (PMI_RANK, PMIX_RANK, OMPI_COMM_WORLD_RANK, SLURM_PROCID
/// or PALS_RANKID is "0"); false when none of them is set. `getenv` is
/// injected for tests.
bool LauncherSaysRankZero(const char* (*getenv)(const char*));

/// A manifest read on a thread of its own from construction, or not at all
/// until Take() when the process is not expected to need it.
class ManifestAhead {
 public:
  /// Starts reading at once when `start`; otherwise Take() reads.
  ManifestAhead(const std::string& path, ManifestFormat format, bool start);
  /// The manifest; waits for the thread. Call at most once.
  LoadedManifest Take();

 private:
  std::future<LoadedManifest> pending_;  // deferred: read in Take()
};

}  // namespace sortie
