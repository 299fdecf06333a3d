/* The CPU-bound host of bench/modes: a fixed amount of floating-point work
 * done at the bottom of a 30-frame recursion (so every sample unwinds 30+
 * frames), on the main thread. When the work is done it prints
 *   work_cpu_ns N   the main thread's CPU time during the work (signal
 *                   delivery and handler cost included)
 *   proc_start_ns N the process's CPU time when main began (the
 *                   profiler's start-up in constructors included)
 *   proc_end_ns N   ... when the work was done (the collector's work
 *                   meanwhile included)
 * before exit, where the profiler writes its file; the driver measures
 * the whole process with wait4 as well. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile double sink;

__attribute__((noinline)) static double leaf(long iters) {
  double x = 0;
  for (long i = 0; i < iters; i++)
    x += (double)(i & 1023) * 0.5;
  return x;
}

/* Not a tail call: every level keeps its frame. */
__attribute__((noinline)) static double descend(int depth, long iters) {
  double r = depth > 0 ? descend(depth - 1, iters) : leaf(iters);
  sink += r;
  return r + 1;
}

int main(int argc, char **argv) {
  long rounds = argc > 1 ? atol(argv[1]) : 1000;
  int depth = argc > 2 ? atoi(argv[2]) : 30;
  struct timespec t0, t1, p0, p1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p0);
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
  for (long r = 0; r < rounds; r++)
    descend(depth - 2, 1000000); /* main and descend(0..) make depth */
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p1);
  printf("work_cpu_ns %lld\nproc_start_ns %lld\nproc_end_ns %lld\n",
         (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL +
             (t1.tv_nsec - t0.tv_nsec),
         (long long)p0.tv_sec * 1000000000LL + p0.tv_nsec,
         (long long)p1.tv_sec * 1000000000LL + p1.tv_nsec);
  return 0;
}
