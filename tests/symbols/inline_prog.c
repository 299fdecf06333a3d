/* Inlined-frames workload: the CPU time is spent in helper(), which is
 * always_inline, inside outer(), which is not inlined, under main().
 * Built -O2 -g. The test asserts main -> outer -> helper (inlined) with
 * helper's file and line at the marked loop. Usage: inline_prog SECONDS */
#include <stdlib.h>
#include <time.h>

static volatile unsigned sink;

#ifdef STALE_BUILD /* another build (other build-id): a stale debug file */
#define SALT 7u
#else
#define SALT 0u
#endif

static inline __attribute__((always_inline)) unsigned helper(unsigned x) {
  for (int i = 0; i < 100000; i++)
    x = x * 2654435761u + (unsigned)i + SALT; /* HELPER_LINE */
  return x;
}

__attribute__((noinline)) void outer(unsigned seed) {
  sink += helper(seed); /* OUTER_LINE */
}

static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  double secs = argc > 1 ? atof(argv[1]) : 1.0;
  unsigned seed = 1;
  while (cpu_seconds() < secs)
    outer(seed++); /* MAIN_LINE */
  return 0;
}
