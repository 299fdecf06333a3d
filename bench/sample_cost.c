/* bench/sample_cost (issue 2): the cost of one sample at stack depths 10,
 * 30 and 100, libprof against gperftools, side by side in one run.
 *
 *   sample_cost            (BENCH_SAMPLES=20000 BENCH_REPS=5 by default)
 *
 * Every sample is a tgkill(SIGPROF) of the sampling thread at a known
 * depth (sample_cost_util.c). Per depth and repetition:
 *   bare      the bursts against an empty handler, sampled-thread CPU;
 *   handler   the same bursts with libprof's handler, minus bare;
 *   collector libprof's collector thread CPU, per sample;
 *   total     process CPU from prof_start to prof_stop (final drain,
 *             symbolization and output included), minus bare;
 *   gperf     the same bursts with ProfilerStart active, minus bare, measured
 *             by sample_cost_gperf in a separate process.
 * The table shows the median of the repetitions, in µs per sample. */
#define BENCH_WITH_LIBPROF
#include "sample_cost_util.c"

#include <limits.h>
#include <stddef.h>

#define NDEPTHS 3
#define MAXREPS 31
static const int depths[NDEPTHS] = {10, 30, 100};

struct rep {
  double bare, handler, collector, total;   /* libprof process */
  double g_bare, g_loop, g_total;           /* gperftools process */
  long kept, g_recorded;
  int frames, g_frames, expect, g_expect;
};

static struct rep reps[NDEPTHS][MAXREPS];

/* Bare, then a libprof session, at one depth. */
static int libprof_cell(int depth, int n, struct rep *r) {
  struct bench_shape shape = {depth, NULL, NULL};
  struct bench_cell c;
  r->bare = bench_bare_ns(n, &shape);
  int err = bench_libprof_session(n, &shape, &c);
  r->handler = c.handler_ns;
  r->collector = c.collector_ns;
  r->total = c.total_ns;
  r->kept = c.kept;
  r->frames = c.frames;
  r->expect = c.expect;
  return err;
}

/* Runs sample_cost_gperf (next to this binary) for one repetition of all
 * depths; returns 0 if every depth reported. */
static int run_gperf(const char *exe, int n, int rep) {
  char cmd[PATH_MAX + 128], line[256];
  /* stderr too: gperftools' "PROFILE: interrupts/..." lines are dropped,
   * anything else is passed on. */
  snprintf(cmd, sizeof(cmd), "CPUPROFILE_FREQUENCY=1 '%s' %d %d %d %d 2>&1",
           exe, n, depths[0], depths[1], depths[2]);
  FILE *p = popen(cmd, "r");
  int got = 0;
  while (p && fgets(line, sizeof(line), p)) {
    int depth, frames, expect;
    double bare, loop, total;
    long rec;
    if (sscanf(line, "gperf %d %lf %lf %lf %ld %d %d", &depth, &bare, &loop,
               &total, &rec, &frames, &expect) != 7) {
      if (strncmp(line, "PROFILE: ", 9) != 0)
        fputs(line, stderr);
      continue;
    }
    for (int d = 0; d < NDEPTHS; d++)
      if (depths[d] == depth) {
        struct rep *r = &reps[d][rep];
        r->g_bare = bare, r->g_loop = loop, r->g_total = total;
        r->g_recorded = rec, r->g_frames = frames, r->g_expect = expect;
        got++;
      }
  }
  return (p ? pclose(p) : -1) == 0 && got == NDEPTHS ? 0 : -1;
}

/* Median over the repetitions of one field, in µs. */
static double med(int d, int nrep, size_t off) {
  double v[MAXREPS];
  for (int i = 0; i < nrep; i++)
    v[i] = *(const double *)((const char *)&reps[d][i] + off) / 1000.0;
  return bench_median(v, nrep);
}

#define MED(d, field) med(d, nrep, offsetof(struct rep, field))

/* Turns each repetition's raw figures into costs beyond the bare signal,
 * before the medians: each process subtracts its own bare figure. */
static void net(int nrep) {
  for (int d = 0; d < NDEPTHS; d++)
    for (int i = 0; i < nrep; i++) {
      struct rep *r = &reps[d][i];
      r->handler -= r->bare;
      r->total -= r->bare;
      r->g_loop -= r->g_bare;
      r->g_total -= r->g_bare;
    }
}

static void print_table(int n, int nrep, int have_gperf) {
  printf("\n## sample_cost: one sample, libprof vs gperftools (issue 2)\n\n");
  printf("%d tgkill samples per cell, median of %d runs; µs per sample "
         "beyond the bare signal (bare itself in µs per signal).\n\n", n, nrep);
  printf("| depth | bare | libprof handler | libprof collector | libprof total "
         "| gperftools | handler / gperf | total / gperf |\n");
  printf("|------:|-----:|----------------:|------------------:|--------------:"
         "|-----------:|----------------:|--------------:|\n");
  for (int d = 0; d < NDEPTHS; d++) {
    double h = MED(d, handler), t = MED(d, total), g = MED(d, g_loop);
    printf("| %5d | %4.2f | %15.2f | %17.2f | %13.2f |", depths[d],
           MED(d, bare), h, MED(d, collector), t);
    if (have_gperf)
      printf(" %10.2f | %15.3f | %13.3f |\n", g, h / g, t / g);
    else
      printf(" %10s | %15s | %13s |\n", "n/a", "n/a", "n/a");
  }
  printf("\nWhere libprof's total goes, µs per sample: the sampled thread "
         "(handler), the collector thread up to the last drain (unwinding, "
         "merging, aggregation), and the rest of the session (prof_start, "
         "prof_stop: symbolization and output), which does not grow with "
         "the samples.\n\n");
  printf("| depth | handler | collector | per-session work | that work, ms "
         "per session | handler + collector | (handler + collector) / gperf "
         "|\n");
  printf("|------:|--------:|----------:|-----------------:|------------------"
         "------:|--------------------:|------------------------------:|\n");
  for (int d = 0; d < NDEPTHS; d++) {
    double h = MED(d, handler), c = MED(d, collector), t = MED(d, total);
    printf("| %5d | %7.2f | %9.2f | %16.2f | %23.1f | %19.2f |", depths[d], h,
           c, t - h - c, (t - h - c) * n / 1000.0, h + c);
    if (have_gperf)
      printf(" %29.3f |\n", (h + c) / MED(d, g_loop));
    else
      printf(" %29s |\n", "n/a");
  }
  printf("\nChecks. Frames: on the stack at each signal (as counted by "
         "glibc's backtrace() in the libprof / gperftools process), and in "
         "the heaviest stack each profiler wrote. Samples: in each profile "
         "(sent: %d, plus about one timer sample per CPU-second). Last run; "
         "the µs figures are medians.\n\n", n);
  printf("| depth | frames on stack | libprof frames | libprof samples "
         "| gperftools frames | gperftools samples | bare µs (gperf process) "
         "| gperftools total µs |\n");
  printf("|------:|----------------:|---------------:|----------------:"
         "|------------------:|-------------------:|------------------------:"
         "|-------------------:|\n");
  for (int d = 0; d < NDEPTHS; d++) {
    const struct rep *r = &reps[d][nrep - 1];
    printf("| %5d | %7d / %-5d | %14d | %15ld | %17d | %18ld | %23.2f "
           "| %18.2f |\n", depths[d], r->expect, r->g_expect, r->frames,
           r->kept, r->g_frames, r->g_recorded, MED(d, g_bare),
           MED(d, g_total));
  }
  if (!have_gperf)
    return;
  double h30 = MED(1, handler) / MED(1, g_loop);
  double t30 = MED(1, total) / MED(1, g_loop);
  printf("\nGoal: libprof handler at depth 30 <= 0.10 x gperftools: %s "
         "(%.3f)\n", h30 <= 0.10 ? "MET" : "MISSED", h30);
  printf("Goal: libprof total at depth 30 <= 0.25 x gperftools: %s (%.3f)\n",
         t30 <= 0.25 ? "MET" : "MISSED", t30);
}

int main(void) {
  int n = bench_env_int("BENCH_SAMPLES", 20000, BENCH_BURST);
  int nrep = bench_env_int("BENCH_REPS", 5, 1);
  if (nrep > MAXREPS)
    nrep = MAXREPS;
  char exe[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 32);
  exe[len > 0 ? len : 0] = 0;
  char *slash = strrchr(exe, '/');
  strcpy(slash ? slash + 1 : exe, "sample_cost_gperf");
  int have_gperf = access(exe, X_OK) == 0;
  if (!have_gperf)
    fprintf(stderr, "sample_cost: %s not built (gperftools missing?); "
            "gperftools columns are n/a\n", exe);

  /* Warm-up, discarded: the first session loads libunwind and libdw. */
  struct rep warm;
  int err = libprof_cell(30, BENCH_BURST * 4, &warm);
  /* Repetitions interleave the two processes, so slow drifts of the
   * machine hit both profilers alike. */
  for (int i = 0; i < nrep && !err; i++) {
    if (have_gperf && run_gperf(exe, n, i) != 0) {
      fprintf(stderr, "sample_cost: %s failed\n", exe);
      have_gperf = 0;
    }
    for (int d = 0; d < NDEPTHS && !err; d++)
      err = libprof_cell(depths[d], n, &reps[d][i]);
  }
  if (err) {
    fprintf(stderr, "sample_cost: libprof: %s\n", prof_strerror(err));
    return 1;
  }
  net(nrep);
  print_table(n, nrep, have_gperf);
  return 0;
}
