/* Options workload: main -> level_a -> recurse x DEPTH -> spin, for
 * SECONDS of CPU. Built with frame pointers so that both unwinders apply.
 * Usage: recurse DEPTH SECONDS */
#include <stdlib.h>
#include <time.h>

static volatile unsigned sink;

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline)) void spin(void) {
  for (int i = 0; i < 100000; i++)
    sink = sink * 31 + (unsigned)i;
}

__attribute__((noinline)) unsigned recurse(int n) {
  if (n == 0) {
    spin();
    return sink;
  }
  unsigned r = recurse(n - 1);
  __asm__ volatile("" : "+r"(r)); /* real recursion, not a loop */
  return r + 1;
}

__attribute__((noinline)) void level_a(int depth, double secs) {
  double end = cpu_now() + secs;
  while (cpu_now() < end)
    recurse(depth);
}

int main(int argc, char **argv) {
  level_a(atoi(argv[1]), atof(argv[2]));
  return 0;
}
