/* The program the real-run viewer and CLI tests record: about 70% of its
 * CPU in hot(), 30% in cold(), through an always-inlined helper in hot()
 * so the run can carry an inlined frame. Built -O2 -g.
 *   workload [SECONDS-OF-CPU] [EXIT-CODE | kill | segv]            */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile double sink;

static inline __attribute__((always_inline)) void hot_inner(long n) {
  for (long i = 0; i < n; i++)
    sink += (double)i * 0.5;
}

__attribute__((noinline)) static void hot(long n) { hot_inner(n); }

__attribute__((noinline)) static void cold(long n) {
  for (long i = 0; i < n; i++)
    sink -= (double)i * 0.25;
}

static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  double budget = argc > 1 ? atof(argv[1]) : 0.5;
  while (cpu_seconds() < budget) {
    hot(700000);
    cold(300000);
  }
  if (argc > 2 && strcmp(argv[2], "kill") == 0)
    raise(SIGTERM);
  if (argc > 2 && strcmp(argv[2], "segv") == 0)
    raise(SIGSEGV);
  return argc > 2 ? atoi(argv[2]) : 0;
}
