/* mpi_init: MPI_Init, print the epoch time it returned on rank 0, finalize.
 *
 * The floor under sortie's start-up: what mpiexec plus MPI_Init cost at
 * the same rank count before any sortie code runs (bench/startup.sh). */
#include <mpi.h>
#include <stdio.h>
#include <sys/time.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  /* All ranks are in: the same point sortie reaches after its init. */
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    printf("%.6f\n", tv.tv_sec + tv.tv_usec / 1e6);
  }
  MPI_Finalize();
  return 0;
}
