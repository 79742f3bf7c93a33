/* A real MPI program for the integration tests: every rank prints its world
 * size, rank, host and CPU binding, so a test can check that a task got the
 * world it asked for. */
#define _GNU_SOURCE
#include <mpi.h>
#include <sched.h>
#include <stdio.h>

int main(int argc, char** argv) {
  if (MPI_Init(&argc, &argv) != MPI_SUCCESS) return 2;
  int rank = 0, size = 0, length = 0;
  char host[MPI_MAX_PROCESSOR_NAME];
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Get_processor_name(host, &length);
  long sum = 0, mine = rank;
  MPI_Allreduce(&mine, &sum, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
  printf("size=%d rank=%d host=%s sum_ok=%d cpu=%d\n", size, rank, host,
         sum == (long)size * (size - 1) / 2, sched_getcpu());
  MPI_Finalize();
  return 0;
}
