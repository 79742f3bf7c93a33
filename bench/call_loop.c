/* call_loop N: call an empty function N times through a function pointer
 * and print the elapsed seconds.
 *
 * The "machine limit" reference for in-process (function) tasks: the least
 * work any runner must do per task is one indirect call. The pointer is
 * volatile so the compiler cannot inline the call or drop the loop. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int noop(void* arg) {
  (void)arg;
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: call_loop N\n");
    return 2;
  }
  long n = atol(argv[1]);
  int (*volatile fn)(void*) = noop;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  long failed = 0;
  for (long i = 0; i < n; i++) failed += fn(NULL) != 0;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("%.9f\n", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
  return failed != 0;
}
