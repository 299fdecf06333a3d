#include "trig_util.h"

#include <time.h>

volatile double trig_sink;

static uint64_t trig_clock(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t trig_thread_cpu_ns(void) { return trig_clock(CLOCK_THREAD_CPUTIME_ID); }
uint64_t trig_mono_ns(void) { return trig_clock(CLOCK_MONOTONIC); }

__attribute__((noinline)) double trig_burn_ns(uint64_t ns) {
  volatile double x = 0;
  uint64_t end = trig_thread_cpu_ns() + ns;
  while (trig_thread_cpu_ns() < end)
    for (int i = 0; i < 50000; i++)
      x += i * 0.5;
  return x;
}
