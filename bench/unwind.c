/* bench/unwind: the collector's unwind cost per sample, rule cache
 * against libunwind alone, side by side in one run.
 *
 * Snapshots are real: a SIGPROF raised at the bottom of a recursion built
 * -O2 -fomit-frame-pointer (tests/unwind/workload.c), captured as the
 * profiler's handler captures (tests/unwind/snap.c), at 10, 30 and 100
 * frames in all. Each is unwound over and over by an unwinder whose caches
 * are warm (the steady state of a profile), timed in thread CPU time.
 * The cold columns are the first unwind by a fresh unwinder: for the rule
 * cache that includes probing libunwind once per distinct PC (probes). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snap.h"
#include "unwind/unwind.h"
#include "workload.h"

#define MAXF 256

static void raise_prof(void) { raise(SIGPROF); }

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

/* A snapshot of a recursion `levels` deep, in slot i of p. */
static const struct prof__sample *take(struct snap_pool *p, int levels) {
  uint32_t i = snap_count(p);
  snap_install(p);
  wl_recurse(levels, 7, raise_prof);
  snap_install(NULL);
  return snap_count(p) > i ? snap_get(p, i) : NULL;
}

static int frames_of(struct prof__unwinder *u, const struct prof__sample *s) {
  uint64_t pcs[MAXF], sps[MAXF];
  enum prof__unwind_status st;
  int n = prof__unwind(u, s, pcs, sps, MAXF, &st);
  return st == PROF__UNWIND_COMPLETE ? n : -1;
}

/* Mean CPU ns per unwind of s by u, over at least 0.2 s. */
static double per_unwind(struct prof__unwinder *u,
                         const struct prof__sample *s) {
  uint64_t pcs[MAXF], sps[MAXF];
  enum prof__unwind_status st;
  long iters = 0;
  double t0 = now_ns(), t;
  do {
    for (int i = 0; i < 200; i++)
      prof__unwind(u, s, pcs, sps, MAXF, &st);
    iters += 200;
    t = now_ns();
  } while (t - t0 < 2e8);
  return (t - t0) / (double)iters;
}

/* First unwind of s by a fresh unwinder (fast or not); *probes: how many
 * rules it derived on the way. */
static double cold(struct prof__modules *ms, const struct prof__sample *s,
                   int fast, uint64_t *probes) {
  struct prof__unwinder *u;
  struct prof__unwind_stats st;
  if (prof__unwinder_new(&u, PROF__UNWIND_DWARF, ms) != 0)
    return -1;
  prof__unwinder_set_fast(u, fast);
  double t0 = now_ns();
  frames_of(u, s);
  double t = now_ns() - t0;
  prof__unwinder_stats(u, &st);
  *probes = st.probes;
  prof__unwinder_free(u);
  return t;
}

static void row(struct prof__modules *ms, struct prof__unwinder *fast,
                struct prof__unwinder *slow, const struct prof__sample *s,
                int depth) {
  int n = frames_of(slow, s);
  if (n < 0 || frames_of(fast, s) != n) {
    printf("%5d  (snapshot did not unwind completely)\n", depth);
    return;
  }
  double f = per_unwind(fast, s), l = per_unwind(slow, s);
  uint64_t probes, none;
  double cf = cold(ms, s, 1, &probes), cl = cold(ms, s, 0, &none);
  printf("%5d %6d  %9.2f %8.1f  %9.2f %8.1f  %7.1fx  %9.1f %6lu %9.1f\n",
         depth, n, f / 1e3, f / n, l / 1e3, l / n, l / f, cf / 1e3,
         (unsigned long)probes, cl / 1e3);
}

int main(void) {
  static const int depths[] = {10, 30, 100};
  struct snap_pool p;
  struct prof__modules *ms = prof__modules_new();
  struct prof__unwinder *fast, *slow;
  if (!ms || snap_pool_init(&p, 8) != 0 ||
      prof__unwinder_new(&fast, PROF__UNWIND_DWARF, ms) != 0 ||
      prof__unwinder_new(&slow, PROF__UNWIND_DWARF, ms) != 0) {
    fprintf(stderr, "bench/unwind: cannot set up\n");
    return 1;
  }
  prof__unwinder_set_fast(slow, 0);
  /* Frames outside the recursion (raise, main, libc start, ...). */
  const struct prof__sample *base = take(&p, 0);
  int extra = base ? frames_of(slow, base) - 1 : -1;
  if (extra < 0) {
    fprintf(stderr, "bench/unwind: calibration snapshot failed\n");
    return 1;
  }
  printf("collector unwind cost per sample (thread CPU, warm caches)\n");
  printf("%5s %6s  %9s %8s  %9s %8s  %8s  %9s %6s %9s\n", "depth",
         "frames", "rules us", "ns/frame", "libunw us", "ns/frame", "speedup",
         "cold r us", "probes", "cold l us");
  for (int i = 0; i < 3; i++) {
    const struct prof__sample *s = take(&p, depths[i] - extra - 1);
    if (s)
      row(ms, fast, slow, s, depths[i]);
  }
  prof__unwinder_free(fast);
  prof__unwinder_free(slow);
  snap_pool_free(&p);
  prof__modules_free(ms);
  return 0;
}
