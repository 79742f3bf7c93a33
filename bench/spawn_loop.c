/* spawn_loop: the raw process-spawn baseline for bench/run.sh.
 *
 * Usage: spawn_loop N P CMD [ARG...]
 *
 * Runs CMD (looked up in PATH) N times with at most P children alive at
 * once, using posix_spawnp + waitpid and nothing else: no pipes, no log
 * files, no bookkeeping. Prints the elapsed wall time in seconds on stdout.
 * Exits non-zero if any child failed to spawn or did not exit 0.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char** environ;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long parse_pos(const char* s, const char* what) {
  char* end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < 1) {
    fprintf(stderr, "spawn_loop: %s must be a positive integer, got '%s'\n",
            what, s);
    exit(2);
  }
  return v;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s N P CMD [ARG...]\n", argv[0]);
    return 2;
  }
  long n = parse_pos(argv[1], "N");
  long p = parse_pos(argv[2], "P");
  char** cmd = argv + 3;

  long started = 0, running = 0, failed = 0;
  double t0 = now();
  while (started < n || running > 0) {
    while (started < n && running < p) {
      pid_t pid;
      int rc = posix_spawnp(&pid, cmd[0], NULL, NULL, cmd, environ);
      started++;
      if (rc != 0) {
        fprintf(stderr, "spawn_loop: posix_spawnp %s: %s\n", cmd[0],
                strerror(rc));
        failed++;
        continue;
      }
      running++;
    }
    if (running == 0) continue;
    int status;
    pid_t w = waitpid(-1, &status, 0);
    if (w < 0) {
      if (errno == EINTR) continue;
      perror("spawn_loop: waitpid");
      return 1;
    }
    running--;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed++;
  }
  double dt = now() - t0;
  printf("%.6f\n", dt);
  if (failed) {
    fprintf(stderr, "spawn_loop: %ld of %ld children failed\n", failed, n);
    return 1;
  }
  return 0;
}
