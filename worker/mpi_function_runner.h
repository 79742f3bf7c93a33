// FunctionRunner over MPI: a sub-communicator per task and dlopen'ed symbols.
#pragma once

#include <map>
#include <string>

#include "common/clock.h"
#include "common/mpi.h"
#include "worker/function_runner.h"

namespace sortie {

/// Runs function tasks on a duplicate of MPI_COMM_WORLD of their own. A task
/// of one node gets MPI_COMM_SELF; a wider one a communicator of its group's
/// ranks, created with MPI_Comm_create_group (only the group takes part:
/// other ranks are busy) and freed after the call, since MPICH allows only
/// ~2,000 live communicators.
class MpiFunctionRunner : public FunctionRunner {
 public:
  /// `world` is the duplicate of MPI_COMM_WORLD reserved for function tasks,
  /// possibly still being created; `clock` paces the wait for it. Both must
  /// outlive the runner.
  MpiFunctionRunner(mpi::PendingComm& world, Clock& clock)
      : world_(world), clock_(clock) {}
  /// Waits (polling, with back-off) for `world` before every call, even of a
  /// one-rank task: a rank must have done its part of the duplication
  /// before user code, which may not call MPI for hours, takes it over, or
  /// the other ranks could not complete theirs.
  int Run(const Assignment& assignment, std::string* error) override;

 private:
  using Function = int (*)(MPI_Comm, const char*);
  Function Resolve(const std::string& spec, std::string* error);

  mpi::PendingComm& world_;
  Clock& clock_;
  std::map<std::string, void*> libraries_;   ///< path -> dlopen handle
  std::map<std::string, Function> symbols_;  ///< "path:symbol" -> function
};

}  // namespace sortie
