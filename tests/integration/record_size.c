/* A user function task for the integration tests, loaded with dlopen:
 * writes the size of its communicator to a file named in its args. */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "sortie/function.h"

int record_size(MPI_Comm comm, const char* args_json) {
  int rank = 0, size = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  /* args: {"file": "/path"} - a tiny parser is enough for the test. */
  const char* start = strstr(args_json, "\"file\":\"");
  if (!start) return 3;
  start += 8;
  char path[4096];
  size_t n = strcspn(start, "\"");
  if (n >= sizeof(path)) return 4;
  memcpy(path, start, n);
  path[n] = '\0';
  if (rank == 0) {
    FILE* f = fopen(path, "w");
    if (!f) return 5;
    fprintf(f, "%d\n", size);
    fclose(f);
  }
  return 0;
}
