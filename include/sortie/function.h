/* sortie function tasks: the signature sortie calls.
 *
 * A manifest line {"function": "/path/libmine.so:my_task", "args": {...},
 * "nodes": 4} makes sortie dlopen libmine.so once per rank and call
 *
 *     int my_task(MPI_Comm comm, const char* args_json);
 *
 * on one pilot rank on each of the task's 4 nodes, at the same time. `comm`
 * holds exactly those ranks (a sub-communicator sortie creates with
 * MPI_Comm_create_group and frees after the call: do not free it yourself,
 * do not keep it). `args_json` is the manifest's "args" value as compact JSON
 * ("null" when absent), valid only during the call. Return 0 for success;
 * any other value is recorded as the task's exit code (state FAILED).
 *
 * The function runs inside the pilot process: a crash (segfault, abort,
 * exit) takes that rank, and with it the run, down; a function that never
 * returns blocks its rank. Output goes to the pilot's own stdout/stderr.
 * Build with the same MPI as sortie, e.g.
 *     mpicc -shared -fPIC -o libmine.so mine.c
 */
#ifndef SORTIE_FUNCTION_H_
#define SORTIE_FUNCTION_H_

#include <mpi.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The type of a sortie function task. */
typedef int (*sortie_function_t)(MPI_Comm comm, const char* args_json);

#ifdef __cplusplus
}
#endif

#endif /* SORTIE_FUNCTION_H_ */
