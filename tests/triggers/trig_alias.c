/* A workload in step with the default sampling period (issue 11): every
 * 10 ms of this thread's CPU time, 6 ms in alias_six, then 4 ms in
 * alias_four. With a fixed 10 ms period every sample falls near the same
 * phase of the pattern, so one function gets (almost) all of them.
 *
 * The split is measured on the thread CPU clock once, then run as a fixed
 * amount of work: reading that clock inside the loop is a system call,
 * whose kernel time the user-only perf clock of mode cpu does not count,
 * and that difference alone drifts the phase.
 * usage: trig_alias SECONDS_OF_CPU */
#include <stdint.h>
#include <stdlib.h>

#include "trig_util.h"

static __attribute__((noinline)) double alias_spin(uint64_t n) {
  volatile double x = 0;
  for (uint64_t i = 0; i < n; i++)
    x += (double)i * 0.5;
  return x;
}

static uint64_t per_ms; /* iterations per ms of CPU */

__attribute__((noinline)) void alias_six(void) {
  trig_sink += alias_spin(6 * per_ms);
}
__attribute__((noinline)) void alias_four(void) {
  trig_sink += alias_spin(4 * per_ms);
}

int main(int argc, char **argv) {
  double sec = argc > 1 ? atof(argv[1]) : 2.0;
  uint64_t t0 = trig_thread_cpu_ns();
  alias_spin(20000000);
  per_ms = UINT64_C(20000000) * 1000000u / (trig_thread_cpu_ns() - t0);
  uint64_t rounds = (uint64_t)(sec * 100);
  for (uint64_t r = 0; r < rounds; r++) {
    alias_six();
    alias_four();
  }
  return 0;
}
