#include "worker/builtin_functions.h"

#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <thread>

namespace sortie {
namespace {

int Noop(MPI_Comm, const char*) { return 0; }

// args {"seconds": x}; the manifest reader has already checked the shape.
int Sleep(MPI_Comm, const char* args_json) {
  simdjson::dom::parser parser;
  double seconds = 0;
  simdjson::dom::element args;
  if (parser.parse(std::string(args_json)).get(args) ||
      args["seconds"].get(seconds)) {
    std::fprintf(stderr, "sortie:sleep: args must be {\"seconds\": number}\n");
    return 2;
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  return 0;
}

// Sums the ranks over the task's communicator and checks the result against
// size*(size-1)/2, and the size against args {"size": n} when given: a
// wrong sub-communicator shows up as a FAILED task.
int Allreduce(MPI_Comm comm, const char* args_json) {
  int rank = 0, size = 0;
  if (MPI_Comm_rank(comm, &rank) != MPI_SUCCESS ||
      MPI_Comm_size(comm, &size) != MPI_SUCCESS) {
    return 3;
  }
  long mine = rank, sum = 0;
  if (MPI_Allreduce(&mine, &sum, 1, MPI_LONG, MPI_SUM, comm) != MPI_SUCCESS) {
    return 3;
  }
  if (sum != static_cast<long>(size) * (size - 1) / 2) return 1;
  simdjson::dom::parser parser;
  simdjson::dom::element args;
  int64_t expected = 0;
  if (!parser.parse(std::string(args_json)).get(args) && args.is_object() &&
      !args["size"].get(expected) && expected != size) {
    return 1;
  }
  return 0;
}

}  // namespace

int (*BuiltinFunction(const std::string& name))(MPI_Comm, const char*) {
  if (name == "noop") return Noop;
  if (name == "sleep") return Sleep;
  if (name == "allreduce") return Allreduce;
  return nullptr;
}

}  // namespace sortie
