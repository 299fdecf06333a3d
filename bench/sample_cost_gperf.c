/* gperftools' side of bench/sample_cost, in its own process so that its
 * SIGPROF machinery and libprof never share one.
 *
 *   sample_cost_gperf SAMPLES DEPTH:ABOVE...
 *
 * prints one line per cell, costs in ns per sample beyond the bare signal
 * (BARE_NS itself per signal):
 *   gperf DEPTH ABOVE BARE_NS LOOP_NS TOTAL_NS RECORDED_SAMPLES FRAMES EXPECTED
 * LOOP_NS is the sampled thread's, TOTAL_NS the process's from
 * ProfilerStart to ProfilerStop; ABOVE is struct bench_shape's, in bytes.
 * sample_cost runs it and does the arithmetic. */
#include <gperftools/profiler.h>

#include "sample_cost_util.c"

struct gperf_cell {
  int n;
  double bare_ns, loop_ns, total_ns;
  long recorded;
  int frames, expect;
};

/* Legacy CPU profile: 64-bit words. Header {0, 3, 0, period, 0}, then
 * records {count, depth, pc[depth]}, ended by {0, 1, 0}. Gives the
 * samples recorded and the depth of the heaviest stack. */
static void gperf_read_profile(const char *path, long *samples, int *frames) {
  FILE *f = fopen(path, "rb");
  uint64_t hdr[5], rec[2], pc;
  long best = -1;
  *samples = 0;
  *frames = 0;
  if (!f)
    return;
  if (fread(hdr, sizeof(hdr[0]), 5, f) == 5 && hdr[0] == 0 && hdr[1] == 3) {
    while (fread(rec, sizeof(rec[0]), 2, f) == 2 && !(rec[0] == 0 && rec[1] == 1)) {
      *samples += (long)rec[0];
      if ((long)rec[0] > best) {
        best = (long)rec[0];
        *frames = (int)rec[1];
      }
      for (uint64_t i = 0; i < rec[1]; i++)
        if (fread(&pc, sizeof(pc), 1, f) != 1)
          break;
    }
  }
  fclose(f);
}

static void gperf_cell(int depth, size_t above, struct gperf_cell *c) {
  char path[128];
  struct bench_shape shape = {.depth = depth, .above = above};
  snprintf(path, sizeof(path), "/tmp/libprof-bench-gperf-%d.prof",
           (int)getpid());
  struct bench_spent spent;
  uint64_t p0 = bench_process_cpu_ns();
  if (!ProfilerStart(path)) {
    fprintf(stderr, "sample_cost_gperf: ProfilerStart(%s) failed\n", path);
    exit(1);
  }
  bench_bursts(c->n, &shape, NULL, NULL, &spent);
  ProfilerStop();
  uint64_t p1 = bench_process_cpu_ns();
  /* As for libprof (bench_libprof_session): net of the paired bare bursts,
   * which the process total also holds. */
  c->bare_ns = (double)spent.bare_ns / c->n;
  c->loop_ns = (double)spent.sampled_ns / c->n - c->bare_ns;
  c->total_ns = (double)(p1 - p0 - spent.bare_ns) / c->n - c->bare_ns;
  c->expect = bench_frames_at_signal;
  gperf_read_profile(path, &c->recorded, &c->frames);
  unlink(path);
}

int main(int argc, char **argv) {
  /* gperftools reads CPUPROFILE_FREQUENCY when the library initialises,
   * before main: at 1 Hz its own ITIMER_PROF adds about one sample per
   * CPU-second to the driven ones. Re-exec once to put it in place. */
  if (!getenv("CPUPROFILE_FREQUENCY")) {
    setenv("CPUPROFILE_FREQUENCY", "1", 1);
    execv("/proc/self/exe", argv);
    perror("sample_cost_gperf: re-exec");
    return 1;
  }
  if (argc < 3) {
    fprintf(stderr, "usage: %s SAMPLES DEPTH:ABOVE...\n", argv[0]);
    return 2;
  }
  int n = atoi(argv[1]);
  if (n < 1)
    return 2;
  /* Warm-up, discarded: first use of libunwind's caches and of the file. */
  struct gperf_cell warm = {.n = BENCH_BURST * 4};
  gperf_cell(30, 0, &warm);
  for (int i = 2; i < argc; i++) {
    struct gperf_cell c = {.n = n};
    int depth = 0;
    unsigned long above = 0;
    if (sscanf(argv[i], "%d:%lu", &depth, &above) != 2)
      return 2;
    gperf_cell(depth, above, &c);
    printf("gperf %d %lu %.1f %.1f %.1f %ld %d %d\n", depth, above, c.bare_ns,
           c.loop_ns, c.total_ns, c.recorded, c.frames, c.expect);
    fflush(stdout);
  }
  return 0;
}
