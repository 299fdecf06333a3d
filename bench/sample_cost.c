/* bench/sample_cost (issue 2): the cost of one sample at stack depths 10,
 * 30 and 100, libprof against gperftools, side by side in one run.
 *
 *   sample_cost            (BENCH_SAMPLES=20000 BENCH_REPS=5 by default)
 *
 * Every sample is a tgkill(SIGPROF) of the sampling thread at a known
 * depth (sample_cost_util.c). Per cell and repetition:
 *   bare      paired bursts of another signal to an empty handler,
 *             sampled-thread CPU per signal;
 *   handler   the bursts with libprof's handler, minus bare;
 *   collector libprof's collector thread CPU, per sample;
 *   total     process CPU from prof_start to prof_stop (final drain,
 *             symbolization and output included), minus bare;
 *   gperf     the bursts with ProfilerStart active, minus bare, measured
 *             by sample_cost_gperf in a separate process.
 * Each depth is measured on two stacks: "lean", where only the benchmark's
 * few frames lie above the recursion, so libprof's handler copies a few
 * KiB, and "16 KiB", padded so that 16 KiB lie above each sample: the
 * handler copies its whole LIBPROF_STACK_BYTES (16384 by default), as in
 * a thread that sits deep in a large program, and every frame still fits
 * in the copy. The tables show medians, in µs per sample. */
#define BENCH_WITH_LIBPROF
#include "sample_cost_util.c"

#include <limits.h>
#include <stddef.h>

#define NCELLS 6
#define MAXREPS 31
/* A little under 16 KiB, so that the copy reaches the top of the stack
 * and holds every frame. */
#define FULL_ABOVE (16 * 1024 - 64)

static const struct {
  int depth;
  size_t above;
  const char *stack;
} cells[NCELLS] = {
    {10, 0, "lean"},            {30, 0, "lean"},
    {100, 0, "lean"},           {10, FULL_ABOVE, "16 KiB"},
    {30, FULL_ABOVE, "16 KiB"}, {100, FULL_ABOVE, "16 KiB"},
};

struct rep {
  double bare, handler, collector, total;   /* libprof process */
  double g_bare, g_loop, g_total;           /* gperftools process */
  long kept, g_recorded;
  int frames, g_frames, expect, g_expect;
  size_t above;
};

static struct rep reps[NCELLS][MAXREPS];

/* Bare, then a libprof session, in one cell. */
static int libprof_cell(int cell, int n, struct rep *r) {
  struct bench_shape shape = {.depth = cells[cell].depth,
                              .above = cells[cell].above};
  struct bench_cell c;
  int err = bench_libprof_session(n, &shape, &c);
  r->bare = c.bare_ns;
  r->handler = c.handler_ns;
  r->collector = c.collector_ns;
  r->total = c.total_ns;
  r->kept = c.kept;
  r->frames = c.frames;
  r->expect = c.expect;
  r->above = c.above;
  return err;
}

static int cell_of(int depth, size_t above) {
  for (int c = 0; c < NCELLS; c++)
    if (cells[c].depth == depth && cells[c].above == above)
      return c;
  return -1;
}

/* Runs sample_cost_gperf (next to this binary) for one repetition of all
 * cells; returns 0 if every cell reported. */
static int run_gperf(const char *exe, int n, int rep) {
  char cmd[PATH_MAX + 512], line[256];
  int at = snprintf(cmd, sizeof(cmd), "CPUPROFILE_FREQUENCY=1 '%s' %d", exe, n);
  for (int c = 0; c < NCELLS; c++)
    at += snprintf(cmd + at, sizeof(cmd) - (size_t)at, " %d:%zu",
                   cells[c].depth, cells[c].above);
  /* stderr too: gperftools' "PROFILE: interrupts/..." lines are dropped,
   * anything else is passed on. */
  snprintf(cmd + at, sizeof(cmd) - (size_t)at, " 2>&1");
  FILE *p = popen(cmd, "r");
  int got = 0;
  while (p && fgets(line, sizeof(line), p)) {
    int depth, frames, expect, c;
    unsigned long above;
    double bare, loop, total;
    long rec;
    if (sscanf(line, "gperf %d %lu %lf %lf %lf %ld %d %d", &depth, &above,
               &bare, &loop, &total, &rec, &frames, &expect) != 8 ||
        (c = cell_of(depth, above)) < 0) {
      if (strncmp(line, "PROFILE: ", 9) != 0)
        fputs(line, stderr);
      continue;
    }
    struct rep *r = &reps[c][rep];
    r->g_bare = bare, r->g_loop = loop, r->g_total = total;
    r->g_recorded = rec, r->g_frames = frames, r->g_expect = expect;
    got++;
  }
  return (p ? pclose(p) : -1) == 0 && got == NCELLS ? 0 : -1;
}

/* Median over the repetitions of one field, in µs. */
static double med(int c, int nrep, size_t off) {
  double v[MAXREPS];
  for (int i = 0; i < nrep; i++)
    v[i] = *(const double *)((const char *)&reps[c][i] + off) / 1000.0;
  return bench_median(v, nrep);
}

#define MED(c, field) med(c, nrep, offsetof(struct rep, field))

static void print_ratio(double x, double g, int have_gperf, const char *end) {
  if (have_gperf)
    printf(" %.3f |%s", x / g, end);
  else
    printf(" n/a |%s", end);
}

/* A markdown table header: the first column left-aligned, the others
 * (numbers) right-aligned. */
static void print_header(const char *const *cols, int n) {
  for (int i = 0; i < n; i++)
    printf("| %s ", cols[i]);
  printf("|\n");
  for (int i = 0; i < n; i++)
    printf("|%s", i ? "---:" : "---");
  printf("|\n");
}

#define HEADER(...)                                                    \
  print_header((const char *const[]){__VA_ARGS__},                      \
               (int)(sizeof((const char *const[]){__VA_ARGS__}) /       \
                     sizeof(const char *)))

/* The first two columns of every table: which cell. */
static void print_cell(int c) {
  printf("| %s | %d |", cells[c].stack, cells[c].depth);
}

static void print_costs(int nrep, int have_gperf) {
  HEADER("stack", "depth", "KiB above", "bare", "libprof handler",
         "libprof collector", "libprof total", "gperftools",
         "handler / gperf", "total / gperf");
  for (int c = 0; c < NCELLS; c++) {
    double h = MED(c, handler), t = MED(c, total), g = MED(c, g_loop);
    print_cell(c);
    printf(" %.1f | %.2f | %.2f | %.2f | %.2f |",
           reps[c][nrep - 1].above / 1024.0, MED(c, bare), h,
           MED(c, collector), t);
    if (have_gperf)
      printf(" %.2f |", g);
    else
      printf(" n/a |");
    print_ratio(h, g, have_gperf, "");
    print_ratio(t, g, have_gperf, "\n");
  }
}

static void print_split(int n, int nrep, int have_gperf) {
  printf("\nWhere libprof's total goes, µs per sample: the sampled thread "
         "(handler), the collector thread up to the last drain (unwinding, "
         "merging, aggregation), and the rest of the session (prof_start, "
         "prof_stop: symbolization and output), which does not grow with "
         "the samples.\n\n");
  HEADER("stack", "depth", "handler", "collector", "per-session work",
         "that work, ms per session", "handler + collector",
         "(handler + collector) / gperf");
  for (int c = 0; c < NCELLS; c++) {
    double h = MED(c, handler), k = MED(c, collector), t = MED(c, total);
    print_cell(c);
    printf(" %.2f | %.2f | %.2f | %.1f | %.2f |", h, k, t - h - k,
           (t - h - k) * n / 1000.0, h + k);
    print_ratio(h + k, MED(c, g_loop), have_gperf, "\n");
  }
}

static void print_checks(int n, int nrep) {
  printf("\nChecks. Frames: on the stack at each signal (as counted by "
         "glibc's backtrace() in the libprof / gperftools process), and in "
         "the heaviest stack each profiler wrote. Samples: in each profile "
         "(sent: %d, plus about one timer sample per CPU-second). Last run; "
         "the µs figures are medians.\n\n", n);
  HEADER("stack", "depth", "frames on stack", "libprof frames",
         "libprof samples", "gperftools frames", "gperftools samples",
         "bare µs (gperf process)", "gperftools total µs");
  for (int c = 0; c < NCELLS; c++) {
    const struct rep *r = &reps[c][nrep - 1];
    print_cell(c);
    printf(" %d / %d | %d | %ld | %d | %ld | %.2f | %.2f |\n", r->expect,
           r->g_expect, r->frames, r->kept, r->g_frames, r->g_recorded,
           MED(c, g_bare), MED(c, g_total));
  }
}

static void print_goals(int nrep) {
  for (int c = 0; c < NCELLS; c++) {
    if (cells[c].depth != 30)
      continue;
    double g = MED(c, g_loop);
    double h = MED(c, handler) / g, t = MED(c, total) / g;
    printf("\nGoal, %s stack: libprof handler at depth 30 <= 0.10 x "
           "gperftools: %s (%.3f)\n", cells[c].stack,
           h <= 0.10 ? "MET" : "MISSED", h);
    printf("Goal, %s stack: libprof total at depth 30 <= 0.25 x "
           "gperftools: %s (%.3f)\n", cells[c].stack,
           t <= 0.25 ? "MET" : "MISSED", t);
  }
}

int main(int argc, char **argv) {
  (void)argc;
  bench_fixed_stack(argv);
  int n = bench_env_int("BENCH_SAMPLES", 20000, BENCH_BURST);
  int nrep = bench_env_int("BENCH_REPS", 5, 1);
  if (nrep > MAXREPS)
    nrep = MAXREPS;
  /* static: a 4 KiB buffer in main's frame would lie between the sampled
   * frames and _start, and so inside every stack copy libprof makes. */
  static char exe[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 32);
  exe[len > 0 ? len : 0] = 0;
  char *slash = strrchr(exe, '/');
  strcpy(slash ? slash + 1 : exe, "sample_cost_gperf");
  int have_gperf = access(exe, X_OK) == 0;
  if (!have_gperf)
    fprintf(stderr, "sample_cost: %s not built (gperftools missing?); "
            "gperftools columns are n/a\n", exe);

  /* Warm-up, discarded: the first session loads libunwind and libdw. */
  static struct rep warm;
  int err = libprof_cell(1, BENCH_BURST * 4, &warm);
  /* Repetitions interleave the two processes, so slow drifts of the
   * machine hit both profilers alike. */
  for (int i = 0; i < nrep && !err; i++) {
    if (have_gperf && run_gperf(exe, n, i) != 0) {
      fprintf(stderr, "sample_cost: %s failed\n", exe);
      have_gperf = 0;
    }
    for (int c = 0; c < NCELLS && !err; c++)
      err = libprof_cell(c, n, &reps[c][i]);
  }
  if (err) {
    fprintf(stderr, "sample_cost: libprof: %s\n", prof_strerror(err));
    return 1;
  }
  printf("\n## sample_cost: one sample, libprof vs gperftools (issue 2)\n\n");
  printf("%d tgkill samples per cell, median of %d runs; µs per sample "
         "beyond the bare signal (bare itself in µs per signal). KiB above: "
         "stack between the sampled frame and the top of the thread's "
         "stack; libprof's handler copies up to 16 KiB of it.\n\n", n, nrep);
  print_costs(nrep, have_gperf);
  print_split(n, nrep, have_gperf);
  print_checks(n, nrep);
  if (have_gperf)
    print_goals(nrep);
  return 0;
}
