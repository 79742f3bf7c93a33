#include "master/manifest_ahead.h"

#include <string_view>
#include <system_error>
#include <utility>

namespace sortie {

LoadedManifest LoadManifestNow(const std::string& path, ManifestFormat format) {
  LoadedManifest loaded;
  loaded.valid = LoadManifest(path, format, &loaded.manifest, &loaded.errors);
  return loaded;
}

bool LauncherSaysRankZero(const char* (*getenv)(const char*)) {
  // The first one set decides: a job step run by srun may carry both its
  // own SLURM_PROCID and the MPI library's variable, which agree.
  for (const char* name : {"PMI_RANK", "PMIX_RANK", "OMPI_COMM_WORLD_RANK",
                           "SLURM_PROCID", "PALS_RANKID"}) {
    if (const char* value = getenv(name)) return std::string_view(value) == "0";
  }
  return false;
}

ManifestAhead::ManifestAhead(std::string path, ManifestFormat format,
                             bool start)
    : path_(std::move(path)), format_(format) {
  if (!start) return;
  try {
    pending_ = std::async(std::launch::async, LoadManifestNow, path_, format_);
  } catch (const std::system_error&) {
    // No thread to be had: Take() reads instead.
  }
}

LoadedManifest ManifestAhead::Take() {
  if (pending_.valid()) return pending_.get();
  return LoadManifestNow(path_, format_);
}

}  // namespace sortie
