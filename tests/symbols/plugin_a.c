/* Plugin A of the unloaded-plugin test: dlopen'ed, run, and dlclose'd by
 * plugin_host before the profile is written. Built -O2 -g as a shared
 * object. */
#include <time.h>

static volatile unsigned sink;

static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) void plugin_a_burn(unsigned seed) {
  unsigned h = seed;
  for (int i = 0; i < 20000; i++)
    h = h * 2654435761u + (unsigned)i; /* PLUGIN_A_LINE */
  sink += h;
}

/* Burns `secs` of CPU time in plugin_a_burn. */
void plugin_run(double secs) {
  double end = cpu_seconds() + secs;
  unsigned seed = 1;
  while (cpu_seconds() < end)
    plugin_a_burn(seed++);
}
