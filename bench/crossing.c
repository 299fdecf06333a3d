/* bench/crossing (issue 3): what language crossings cost.
 *
 *   crossing                      the tables (a) and (c) below
 *   crossing --pairs N KIND       exactly N pairs of KIND (native|managed)
 *                                 and nothing else, for callgrind: run.sh
 *                                 takes (Ir(N large) - Ir(N small)) / dN, so
 *                                 start-up and exit cancel out.
 *   crossing --samples N KIND     one session of N samples of (c), KIND
 *                                 plain or cross, for callgrind: run.sh
 *                                 counts the handler's instructions.
 *
 * (a) ns per crossing pair: prof_enter_native + prof_leave_native with a
 *     trivial context hook, and prof_enter_managed + prof_leave_managed;
 *     median over BENCH_CROSS_REPS (9) timings of BENCH_CROSS_PAIRS (5M).
 * (c) the handler cost of a sample whose thread has 3 crossings on its
 *     slice (MANAGED, NATIVE, MANAGED) and 20 managed frames (10 from the
 *     NATIVE record's saved context, 10 from the running activation),
 *     against a native-only sample on the same 30-frame native stack. */
#define BENCH_WITH_LIBPROF
#include "sample_cost_util.c"

/* Managed frames each traceback call reports. */
#define BENCH_MFRAMES 10

static int bench_rt = -1;

/* Trivial runtime hooks. The saved context doubles as the number of frames
 * its traceback reports, so no state is needed. */
static void bench_context(void *p) {
  struct prof_context_arg *a = p;
  if (a->context == 0)
    a->context = BENCH_MFRAMES;
}

static void bench_traceback(void *p) {
  struct prof_traceback_arg *a = p;
  uintptr_t n = a->context ? a->context : BENCH_MFRAMES;
  uintptr_t i;
  for (i = 0; i < n && i < a->max; i++)
    a->buf[i] = 0x1000 + i; /* fake, but non-zero and distinct */
  if (i < a->max)
    a->buf[i] = 0;
}

/* ---- (a) / (b): crossing pairs ---------------------------------------- */

static __attribute__((noinline)) void pairs_native(long n) {
  for (long i = 0; i < n; i++) {
    prof_enter_native(bench_rt);
    prof_leave_native(bench_rt);
  }
}

static __attribute__((noinline)) void pairs_managed(long n) {
  for (long i = 0; i < n; i++) {
    prof_enter_managed(bench_rt);
    prof_leave_managed(bench_rt);
  }
}

/* Thread CPU time rather than wall time: a preemption by another process
 * on a shared machine then does not count. */
static double pair_ns(void (*fn)(long), long n, int nrep) {
  double v[64];
  fn(1000); /* the thread's first crossing allocates its slice */
  for (int i = 0; i < nrep; i++) {
    uint64_t t0 = bench_thread_cpu_ns();
    fn(n);
    v[i] = (double)(bench_thread_cpu_ns() - t0) / (double)n;
  }
  return bench_median(v, nrep);
}

/* ---- (c): a sample with crossings ------------------------------------- */

/* 30 frames leave about 19 bench_descend levels above the base frames
 * (main, libc start-up, the benchmark's own), enough for cross_around. */
#define X_DEPTH 30

/* Crossings on the way down the recursion (levels count down to 1 at the
 * innermost): native code enters managed code, which calls native code,
 * which re-enters managed code. The samples land under that innermost
 * MANAGED record, so the handler copies 3 records and runs the traceback
 * hook twice: the NATIVE record's saved context, and context 0. */
static void cross_around(int level, int leave, void *arg) {
  (void)arg;
  if (level == 14 || level == 2)
    leave ? prof_leave_managed(bench_rt) : prof_enter_managed(bench_rt);
  else if (level == 8)
    leave ? prof_leave_native(bench_rt) : prof_enter_native(bench_rt);
}

#define X_MAXREPS 31

struct x_result {
  double handler[X_MAXREPS], total[X_MAXREPS]; /* µs, net of bare */
  long kept;
  int frames, expect;
  size_t above;
};

/* The paired bare bursts run on the same shape, crossings included, so
 * the crossing calls themselves cancel out. */
static int x_once(int crossings, int n, struct x_result *out, int rep) {
  struct bench_shape shape = {.depth = X_DEPTH,
                             .around = crossings ? cross_around : NULL};
  struct bench_cell c;
  int err = bench_libprof_session(n, &shape, &c);
  if (err) {
    fprintf(stderr, "crossing: libprof: %s\n", prof_strerror(err));
    return -1;
  }
  out->handler[rep] = c.handler_ns / 1000.0;
  out->total[rep] = c.total_ns / 1000.0;
  out->kept = c.kept;
  out->frames = c.frames;
  out->expect = c.expect;
  out->above = c.above;
  return 0;
}

static int run_pairs_only(long n, const char *kind) {
  if (strcmp(kind, "native") == 0)
    pairs_native(n);
  else if (strcmp(kind, "managed") == 0)
    pairs_managed(n);
  else
    return 2;
  return 0;
}

/* One session of n samples of (c), nothing else: for callgrind, whose
 * instruction counts inside the handler do not drift with the load of the
 * machine as the timings of (c) do. */
static int run_samples_only(int n, const char *kind) {
  int crossings = strcmp(kind, "cross") == 0;
  if (!crossings && strcmp(kind, "plain") != 0)
    return 2;
  struct bench_shape shape = {.depth = X_DEPTH,
                             .around = crossings ? cross_around : NULL};
  struct bench_cell c;
  int err = bench_libprof_session(n > 0 ? n : 1, &shape, &c);
  if (err)
    fprintf(stderr, "crossing: libprof: %s\n", prof_strerror(err));
  return err ? 1 : 0;
}

int main(int argc, char **argv) {
  bench_rt = prof_runtime_register(0, "bench", bench_traceback, bench_context,
                                   NULL);
  if (bench_rt < 0) {
    fprintf(stderr, "crossing: prof_runtime_register: %s\n",
            prof_strerror(bench_rt));
    return 1;
  }
  if (argc == 4 && strcmp(argv[1], "--pairs") == 0)
    return run_pairs_only(atol(argv[2]), argv[3]);
  if (argc == 4 && strcmp(argv[1], "--samples") == 0)
    return run_samples_only(atoi(argv[2]), argv[3]);
  if (argc != 1) {
    fprintf(stderr, "usage: %s [--pairs N native|managed | --samples N "
            "plain|cross]\n", argv[0]);
    return 2;
  }
  bench_fixed_stack(argv);

  long pairs = bench_env_int("BENCH_CROSS_PAIRS", 5000000, 1000);
  int prep = bench_env_int("BENCH_CROSS_REPS", 9, 1);
  prep = prep > 64 ? 64 : prep;
  double nat = pair_ns(pairs_native, pairs, prep);
  double man = pair_ns(pairs_managed, pairs, prep);
  printf("\n## crossing (a): one crossing pair (issue 3)\n\n");
  printf("Median of %d timings of %ld pairs each, thread CPU time, the "
         "benchmark's loop included. Goal: <= 15 ns per pair.\n\n", prep,
         pairs);
  printf("| pair | ns per pair | goal <= 15 ns |\n|---|---:|---|\n");
  printf("| prof_enter_native + prof_leave_native (trivial context hook) "
         "| %.2f | %s |\n", nat, nat <= 15 ? "MET" : "MISSED");
  printf("| prof_enter_managed + prof_leave_managed | %.2f | %s |\n", man,
         man <= 15 ? "MET" : "MISSED");

  int n = bench_env_int("BENCH_SAMPLES", 20000, BENCH_BURST);
  int nrep = bench_env_int("BENCH_REPS", 5, 1);
  nrep = nrep > X_MAXREPS ? X_MAXREPS : nrep;
  static struct x_result plain, cross;
  if (x_once(0, BENCH_BURST * 4, &plain, 0)) /* warm-up, discarded */
    return 1;
  /* Alternate the two kinds, so drifts of the machine hit both alike. */
  for (int i = 0; i < nrep; i++)
    if (x_once(0, n, &plain, i) || x_once(1, n, &cross, i))
      return 1;
  double ph = bench_median(plain.handler, nrep);
  double pt = bench_median(plain.total, nrep);
  double ch = bench_median(cross.handler, nrep);
  double ct = bench_median(cross.total, nrep);
  printf("\n## crossing (c): a sample with 3 crossings and %d managed frames "
         "(issue 3)\n\n", 2 * BENCH_MFRAMES);
  printf("%d tgkill samples per cell, median of %d runs, µs per sample beyond "
         "the bare signal. Both on the same %d-frame native stack, with "
         "%.1f KiB of stack above the samples; frames = frames in the "
         "written profile.\n\n", n, nrep, X_DEPTH, plain.above / 1024.0);
  /* bench_median sorted the arrays: [0] and [nrep - 1] are the extremes,
   * shown so that a difference can be told from the noise. */
  printf("| sample | native frames | merged frames | samples | handler µs "
         "| handler min..max | total µs |\n"
         "|---|---:|---:|---:|---:|---:|---:|\n");
  printf("| native only | %d | %d | %ld | %.2f | %.2f..%.2f | %.2f |\n",
         plain.expect, plain.frames, plain.kept, ph, plain.handler[0],
         plain.handler[nrep - 1], pt);
  printf("| 3 crossings + %d managed frames | %d | %d | %ld | %.2f "
         "| %.2f..%.2f | %.2f |\n", 2 * BENCH_MFRAMES, cross.expect,
         cross.frames, cross.kept, ch, cross.handler[0],
         cross.handler[nrep - 1], ct);
  printf("| difference | | | | %+.2f | | %+.2f |\n", ch - ph, ct - pt);
  printf("| ratio | | | | %.2fx | | %.2fx |\n", ch / ph, ct / pt);
  return 0;
}
