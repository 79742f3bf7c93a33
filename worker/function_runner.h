// In-process function tasks: `extern "C" int symbol(MPI_Comm, const char*)`
// called on every rank of the task's group (see common/sortie_function.h).
#pragma once

#include <string>

#include "common/protocol.h"

namespace sortie {

/// Runs function tasks inside the pilot's own rank.
class FunctionRunner {
 public:
  virtual ~FunctionRunner() = default;
  /// Runs `assignment`'s function on this rank to completion and returns its
  /// exit code (the function's return value; 0 is success). A function that
  /// cannot be loaded gives 127 and the reason in `error`.
  virtual int Run(const Assignment& assignment, std::string* error) = 0;
};

}  // namespace sortie
