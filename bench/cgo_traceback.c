/* bench/cgo_traceback: what the Go provider's hooks cost per call, outside
 * Go (docs/go.md). The traceback walks a C recursion of depth 10 and 30
 * (built -O2 -fomit-frame-pointer: CFI rules only) from a ucontext, as in
 * Go's signal handler; the context hook records and releases, as at each
 * C->Go callback. Median of 9 timings of 200,000 calls. Not a test. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <ucontext.h>

#include "libprof.h"

#define CALLS 200000
#define REPS 9

static uintptr_t buf[32];
static double ns[REPS];

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(void) {
  qsort(ns, REPS, sizeof(ns[0]), cmp);
  return ns[REPS / 2];
}

static double time_traceback(void) {
  ucontext_t uc;
  getcontext(&uc);
  for (int r = 0; r < REPS; r++) {
    double t = now_ns();
    for (int i = 0; i < CALLS; i++) {
      struct prof_traceback_arg a = {0, (uintptr_t)&uc, buf, 32};
      prof_cgo_traceback(&a);
    }
    ns[r] = (now_ns() - t) / CALLS;
  }
  return median();
}

__attribute__((noinline)) static double recurse(int depth) {
  double v = depth > 1 ? recurse(depth - 1) : time_traceback();
  __asm__ volatile("" ::: "memory");
  return v;
}

static double time_context(void) {
  for (int r = 0; r < REPS; r++) {
    double t = now_ns();
    for (int i = 0; i < CALLS; i++) {
      struct prof_context_arg a = {0};
      prof_cgo_context(&a);
      prof_cgo_context(&a);
    }
    ns[r] = (now_ns() - t) / CALLS;
  }
  return median();
}

int main(void) {
  int err = prof_cgo_init();
  if (err) {
    fprintf(stderr, "prof_cgo_init: %s\n", prof_strerror(err));
    return 1;
  }
  printf("| hook | ns per call |\n|---|---|\n");
  printf("| traceback, 10 C frames | %.0f |\n", recurse(10));
  printf("| traceback, 30 C frames | %.0f |\n", recurse(30));
  printf("| context record + release | %.0f |\n", time_context());
  return 0;
}
