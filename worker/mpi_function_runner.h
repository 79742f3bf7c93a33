// FunctionRunner over MPI: a sub-communicator per task and dlopen'ed symbols.
#pragma once

#include <map>
#include <string>

#include "common/mpi.h"
#include "worker/function_runner.h"

namespace sortie {

/// Runs function tasks on the pilot's communicator. A task of one node gets
/// MPI_COMM_SELF; a wider one a communicator of its group's ranks, created
/// with MPI_Comm_create_group (only the group takes part: other ranks are
/// busy) and freed after the call, since MPICH allows only ~2,000 live
/// communicators.
class MpiFunctionRunner : public FunctionRunner {
 public:
  /// `world` is the pilot's communicator (must outlive the runner).
  explicit MpiFunctionRunner(const mpi::Comm& world) : world_(world) {}
  int Run(const Assignment& assignment, std::string* error) override;

 private:
  using Function = int (*)(MPI_Comm, const char*);
  Function Resolve(const std::string& spec, std::string* error);

  const mpi::Comm& world_;
  std::map<std::string, void*> libraries_;   ///< path -> dlopen handle
  std::map<std::string, Function> symbols_;  ///< "path:symbol" -> function
};

}  // namespace sortie
