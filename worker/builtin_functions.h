// The built-in function tasks, "sortie:NAME": for tests and benchmarks.
#pragma once

#include <mpi.h>

#include <string>

namespace sortie {

/// The built-in function called `name` ("noop", "sleep", "allreduce"), or
/// null. Each has the signature of a user function task.
int (*BuiltinFunction(const std::string& name))(MPI_Comm, const char*);

}  // namespace sortie
