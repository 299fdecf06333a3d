/* Rate host: burns argv[1] seconds of CPU in rate_burn on the main thread
 * and prints the CPU time it used during the burn ("cpu_ns N"). */
#include <stdio.h>
#include <stdlib.h>

#include "trig_util.h"

__attribute__((noinline)) static double rate_burn(uint64_t ns) {
  return TRIG_BURN(ns);
}

int main(int argc, char **argv) {
  double secs = argc > 1 ? atof(argv[1]) : 1.0;
  uint64_t t0 = trig_thread_cpu_ns();
  double x = rate_burn((uint64_t)(secs * 1e9));
  uint64_t t1 = trig_thread_cpu_ns();
  printf("cpu_ns %llu\n", (unsigned long long)(t1 - t0));
  return x < 0;
}
