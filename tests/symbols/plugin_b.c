/* Plugin B of the unloaded-plugin test: dlopen'ed, run, and dlclose'd by
 * plugin_host before the profile is written. Built -O2 -g as a shared
 * object. plugin_b_pad shifts its code against plugin A's, so that a
 * sample of A resolved in B's place would land in plugin_b_pad. */
#include <time.h>

static volatile unsigned sink;

static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline, used)) unsigned plugin_b_pad(unsigned x) {
  for (int i = 0; i < 7; i++) /* never called */
    x = (x ^ (x >> 13)) * 0x5bd1e995u + (unsigned)i * 0x27d4eb2fu;
  return x * 3u + (x >> 7) * 5u + (x >> 11) * 7u + (x >> 17) * 11u;
}

__attribute__((noinline)) void plugin_b_burn(unsigned seed) {
  unsigned h = seed;
  for (int i = 0; i < 20000; i++)
    h = h * 2246822519u + (unsigned)i; /* PLUGIN_B_LINE */
  sink += h;
}

/* Burns `secs` of CPU time in plugin_b_burn. */
void plugin_run(double secs) {
  double end = cpu_seconds() + secs;
  unsigned seed = 1;
  while (cpu_seconds() < end)
    plugin_b_burn(seed++);
}
