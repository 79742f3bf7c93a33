#include "master/manifest_ahead.h"

#include <string_view>

#include "common/run_beside.h"

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

ManifestAhead::ManifestAhead(const std::string& path, ManifestFormat format,
                             bool start)
    : pending_(start ? RunBeside(LoadManifestNow, path, format)
                     : std::async(std::launch::deferred, LoadManifestNow, path,
                                  format)) {}

LoadedManifest ManifestAhead::Take() { return pending_.get(); }

}  // namespace sortie
