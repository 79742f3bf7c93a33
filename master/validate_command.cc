#include "master/validate_command.h"

#include <cstdint>
#include <iostream>

namespace sortie {

void ReportManifestErrors(const std::string& path,
                          const std::vector<ManifestError>& errors,
                          const std::string& consequence) {
  uint64_t problems = 0;
  for (const ManifestError& error : errors) {
    std::cerr << error.ToString() << "\n";
    problems += error.count;
  }
  std::cerr << "sortie: " << problems << " problem"
            << (problems == 1 ? "" : "s") << " in " << path << consequence
            << "\n";
}

int ValidateCommand(const std::string& path, ManifestFormat format) {
  Manifest manifest;
  std::vector<ManifestError> errors;
  if (!LoadManifest(path, format, &manifest, &errors)) {
    ReportManifestErrors(path, errors, "");
    return 2;
  }
  std::cout << path << ": OK, " << manifest.tasks.size() << " task"
            << (manifest.tasks.size() == 1 ? "" : "s") << "\n";
  return 0;
}

}  // namespace sortie
