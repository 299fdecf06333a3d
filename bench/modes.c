/* bench/modes: the overhead of each sampling mode on a CPU-bound host at
 * stack depth 30, at 100 Hz, 1 kHz and 10 kHz requested, with gperftools'
 * libprofiler at the same requested rates beside it, in one run.
 *
 *   bench_modes [ROUNDS [REPS]]     (defaults: 500 rounds, about 0.65 s; 5)
 *
 * Every configuration runs the host (bench_modes_host) in a fresh process,
 * REPS times, interleaved so that drift of the machine spreads evenly.
 * CPU times are the fastest of the REPS runs: interference from the rest
 * of the machine (caches, the other hyperthread) only ever adds time.
 * Overhead is the ratio of the host's CPU time with profiling to without,
 * while the work runs:
 *   process  CPU of the whole process (the collector's unwinding
 *            included), from main's start to the end of the work;
 *   thread   CPU of the working thread only (signal delivery + handler).
 *   µs/sample  the process CPU added, per sample taken.
 * Costs paid once per session are shown apart, in ms of CPU:
 *   start    before main (constructors: the session's start), less the
 *            host's own;
 *   exit     after the work (symbolization and writing the profile).
 * Achieved Hz (median): libprof's own summary figure (per CPU-second; per
 * thread-second in wall mode); gperftools: samples counted in its profile
 * per CPU-second of the working thread.
 * Environment: BENCH_MODES_LIB, BENCH_MODES_HOST, BENCH_GPERF_LIB override
 * the paths built in. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef BENCH_LIBPROF
#define BENCH_LIBPROF "libprof.so"
#endif
#ifndef BENCH_HOST
#define BENCH_HOST "bench_modes_host"
#endif
#define BENCH_GPERF "/usr/lib/x86_64-linux-gnu/libprofiler.so"
#define MAX_REPS 15

struct config {
  const char *mode; /* NULL: no profiler; "gperftools" */
  int hz;
};

static const struct config configs[] = {
    {NULL, 0},         {"cpu", 100},    {"cpu", 1000},    {"cpu", 10000},
    {"timer", 100},    {"timer", 1000}, {"timer", 10000}, {"itimer", 100},
    {"itimer", 1000},  {"itimer", 10000}, {"wall", 100},  {"wall", 1000},
    {"wall", 10000},   {"gperftools", 100}, {"gperftools", 1000},
    {"gperftools", 10000}};
#define NCONFIGS (sizeof(configs) / sizeof(configs[0]))

struct run {
  double proc_ns;   /* process CPU from main's start to the work's end */
  double work_ns;   /* the working thread's CPU                        */
  double start_ns;  /* process CPU before main                         */
  double exit_ns;   /* process CPU after the work (wait4 total - end)  */
  double achieved;  /* samples per second                            */
  double samples;   /* samples taken                                 */
};

static const char *path_of(const char *var, const char *dflt) {
  const char *v = getenv(var);
  return v && v[0] ? v : dflt;
}

/* Samples in a gperftools legacy CPU profile (64-bit words: header
 * {0, 3, 0, period, 0}, records {count, depth, pcs...}, end {0, 1, 0}). */
static long gperf_samples(const char *path) {
  FILE *f = fopen(path, "rb");
  uint64_t hdr[5], rec[2], pc;
  long n = 0;
  if (f && fread(hdr, 8, 5, f) == 5 && hdr[0] == 0 && hdr[1] == 3)
    while (fread(rec, 8, 2, f) == 2 && !(rec[0] == 0 && rec[1] == 1)) {
      n += (long)rec[0];
      for (uint64_t i = 0; i < rec[1] && fread(&pc, 8, 1, f) == 1; i++)
        ;
    }
  if (f)
    fclose(f);
  return n;
}

static void child_env(const struct config *c, const char *out) {
  char hz[16];
  snprintf(hz, sizeof(hz), "%d", c->hz);
  unsetenv("LD_PRELOAD");
  unsetenv("CPUPROFILE");
  unsetenv("LIBPROF_OUT");
  if (!c->mode)
    return;
  if (strcmp(c->mode, "gperftools") == 0) {
    setenv("LD_PRELOAD", path_of("BENCH_GPERF_LIB", BENCH_GPERF), 1);
    setenv("CPUPROFILE", out, 1);
    setenv("CPUPROFILE_FREQUENCY", hz, 1);
    return;
  }
  setenv("LD_PRELOAD", path_of("BENCH_MODES_LIB", BENCH_LIBPROF), 1);
  setenv("LIBPROF_OUT", out, 1);
  setenv("LIBPROF_MODE", c->mode, 1);
  setenv("LIBPROF_HZ", hz, 1);
  unsetenv("LIBPROF_QUIET");
}

/* Runs the host once; its stdout and stderr come back in buf. */
static int run_host(const struct config *c, const char *rounds, char *buf,
                    size_t len, struct rusage *ru, const char *out) {
  int fds[2];
  if (pipe(fds) != 0)
    return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    child_env(c, out);
    const char *host = path_of("BENCH_MODES_HOST", BENCH_HOST);
    execl(host, host, rounds, "30", (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  size_t n = 0;
  ssize_t k;
  while (n + 1 < len && (k = read(fds[0], buf + n, len - 1 - n)) > 0)
    n += (size_t)k;
  buf[n] = '\0';
  close(fds[0]);
  int st;
  if (pid < 0 || wait4(pid, &st, 0, ru) != pid || !WIFEXITED(st) ||
      WEXITSTATUS(st) != 0)
    return -1;
  return 0;
}

static double tv_ns(struct timeval tv) {
  return (double)tv.tv_sec * 1e9 + (double)tv.tv_usec * 1e3;
}

static int measure(const struct config *c, const char *rounds,
                   struct run *r) {
  char buf[8192], out[64];
  struct rusage ru;
  const char *p;
  snprintf(out, sizeof(out), "/tmp/bench-modes-%d.out", (int)getpid());
  double end;
  if (run_host(c, rounds, buf, sizeof(buf), &ru, out) != 0 ||
      !(p = strstr(buf, "work_cpu_ns ")) ||
      sscanf(p, "work_cpu_ns %lf\nproc_start_ns %lf\nproc_end_ns %lf",
             &r->work_ns, &r->start_ns, &end) != 3) {
    fprintf(stderr, "bench_modes: %s %d Hz failed:\n%s\n",
            c->mode ? c->mode : "none", c->hz, buf);
    return -1;
  }
  r->proc_ns = end - r->start_ns;
  r->exit_ns = tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime) - end;
  r->achieved = r->samples = 0;
  if (c->mode && strcmp(c->mode, "gperftools") == 0) {
    r->samples = (double)gperf_samples(out);
    r->achieved = r->samples / (r->work_ns / 1e9);
  } else if (c->mode && (p = strstr(buf, "libprof: ")) != NULL) {
    sscanf(p, "libprof: %lf samples", &r->samples);
    if ((p = strstr(p, " Hz requested, ")) != NULL)
      sscanf(p, " Hz requested, %lf", &r->achieved);
  }
  unlink(out);
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The field at off of n runs, sorted into v. */
static void sorted(const struct run *runs, int n, size_t off, double *v) {
  for (int i = 0; i < n; i++)
    v[i] = *(const double *)((const char *)&runs[i] + off);
  qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
}

static double median(const struct run *runs, int n, size_t off) {
  double v[MAX_REPS];
  sorted(runs, n, off, v);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double fastest(const struct run *runs, int n, size_t off) {
  double v[MAX_REPS];
  sorted(runs, n, off, v);
  return v[0];
}

#define MED(runs, n, field) median(runs, n, offsetof(struct run, field))
#define MIN(runs, n, field) fastest(runs, n, offsetof(struct run, field))

static void print_table(struct run res[][MAX_REPS], int reps) {
  double base_proc = MIN(res[0], reps, proc_ns);
  double base_work = MIN(res[0], reps, work_ns);
  double base_start = MIN(res[0], reps, start_ns);
  printf("| mode | requested Hz | achieved Hz | process CPU ratio | "
         "thread CPU ratio | µs/sample | start ms | exit ms |\n"
         "|---|---:|---:|---:|---:|---:|---:|---:|\n");
  printf("| none | - | - | 1.000 (%.3f s) | 1.000 (%.3f s) | - | - | - |\n",
         base_proc / 1e9, base_work / 1e9);
  for (size_t i = 1; i < NCONFIGS; i++) {
    double proc = MIN(res[i], reps, proc_ns);
    double n = MED(res[i], reps, samples);
    printf("| %s | %d | %.0f | %.3f | %.3f | %.1f | %.1f | %.1f |\n",
           configs[i].mode, configs[i].hz, MED(res[i], reps, achieved),
           proc / base_proc, MIN(res[i], reps, work_ns) / base_work,
           n > 0 ? (proc - base_proc) / n / 1e3 : 0.0,
           (MIN(res[i], reps, start_ns) - base_start) / 1e6,
           MED(res[i], reps, exit_ns) / 1e6);
  }
}

int main(int argc, char **argv) {
  const char *rounds = argc > 1 ? argv[1] : "500";
  int reps = argc > 2 ? atoi(argv[2]) : 5;
  static struct run res[NCONFIGS][MAX_REPS];
  char loadavg[64] = "?";
  FILE *la = fopen("/proc/loadavg", "r");
  if (la && fgets(loadavg, sizeof(loadavg), la))
    loadavg[strcspn(loadavg, " ")] = '\0';
  if (la)
    fclose(la);
  if (reps < 1 || reps > MAX_REPS) {
    fprintf(stderr, "usage: %s [ROUNDS [REPS <= %d]]\n", argv[0], MAX_REPS);
    return 2;
  }
  for (int r = 0; r < reps; r++)
    for (size_t i = 0; i < NCONFIGS; i++)
      if (measure(&configs[i], rounds, &res[i][r]) != 0)
        return 1;
  printf("\n## Sampling modes: overhead on a CPU-bound host, stack depth 30\n\n"
         "bench_modes %s %d (host: %s rounds; CPU: fastest of %d runs, "
         "achieved Hz: median; load average at start %s)\n\n",
         rounds, reps, rounds, reps, loadavg);
  print_table(res, reps);
  return 0;
}
