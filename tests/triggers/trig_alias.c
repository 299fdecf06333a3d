/* A workload in step with the default sampling period (issue 11): every
 * 10 ms of this thread's CPU time, 6 ms in alias_six, then 4 ms in
 * alias_four. With a fixed 10 ms period every sample falls near the same
 * phase of the pattern, so one function gets (almost) all of them.
 *
 * The split is measured on the thread CPU clock once, then run as a fixed
 * amount of work: reading that clock inside the loop is a system call,
 * whose kernel time the user-only perf clock of mode cpu does not count,
 * and that difference alone drifts the phase.
 * usage: trig_alias SECONDS_OF_CPU [THREADS]: each thread runs the pattern
 * for that much CPU time (more threads, more samples per run). */
#include <pthread.h>
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

static void *alias_run(void *arg) {
  uint64_t rounds = *(uint64_t *)arg;
  for (uint64_t r = 0; r < rounds; r++) {
    alias_six();
    alias_four();
  }
  return NULL;
}

int main(int argc, char **argv) {
  double sec = argc > 1 ? atof(argv[1]) : 2.0;
  int n = argc > 2 ? atoi(argv[2]) : 1;
  pthread_t th[64];
  uint64_t t0 = trig_thread_cpu_ns();
  alias_spin(20000000);
  per_ms = UINT64_C(20000000) * 1000000u / (trig_thread_cpu_ns() - t0);
  uint64_t rounds = (uint64_t)(sec * 100);
  n = n < 1 ? 1 : n > 64 ? 64 : n;
  for (int i = 1; i < n; i++)
    pthread_create(&th[i], NULL, alias_run, &rounds);
  alias_run(&rounds);
  for (int i = 1; i < n; i++)
    pthread_join(th[i], NULL);
  return 0;
}
