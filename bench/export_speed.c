/* Export speed on 1,000,000-sample / 20,000-frame profiles, built and
 * written in every format to /dev/null; prints a markdown table of CPU
 * seconds (CPU time, so other load on the machine inflates it little).
 *  - typical: samples drawn from 100,000 distinct call paths, the goal's
 *    case (goal: under 2 s for building and for each format);
 *  - worst: every sample a distinct path (1M stacks), a regression guard
 *    (under 3 s).
 *    d3 is left out there: its tree has ~12M nodes and ~1 GB of JSON, a
 *    size the format forces.
 * Formerly tests/export/test_export_speed.c; a timed assertion fails
 * under load, so the figures live here and the tests check correctness. */
#include <stdio.h>
#include <time.h>

#include "export/export.h"
#include "fixture.h"

static double bexp_cpu(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bexp_row(const char *what, const char *step, double s,
                     double goal) {
  printf("| %s | %s | %.3f | < %.0f s: %s |\n", what, step, s, goal,
         s >= 0 && s < goal ? "MET" : "MISSED");
}

/* Writes m in f to /dev/null; returns the CPU seconds, or -1 on error. */
static double bexp_write(const struct prof__model *m, enum prof__format f) {
  FILE *null = fopen("/dev/null", "w");
  if (null == NULL)
    return -1;
  double t0 = bexp_cpu();
  int rc = prof__export_stream(m, f, NULL, null);
  double dt = bexp_cpu() - t0;
  fclose(null);
  return rc == 0 ? dt : -1;
}

static int bexp_case(const char *what, size_t nstacks, int with_d3,
                     double goal) {
  static const struct { enum prof__format f; const char *name; } fmts[] = {
      {PROF__FMT_SPEEDSCOPE, "speedscope"}, {PROF__FMT_D3, "d3"},
      {PROF__FMT_COLLAPSED, "collapsed"}, {PROF__FMT_PPROF, "pprof"}};
  double t0 = bexp_cpu();
  struct prof__model *m = fixture_big_model(1000000, 20000, nstacks);
  if (m == NULL)
    return 1;
  bexp_row(what, "build model", bexp_cpu() - t0, goal);
  int bad = 0;
  for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
    if (fmts[i].f == PROF__FMT_D3 && !with_d3)
      continue;
    double s = bexp_write(m, fmts[i].f);
    bad |= s < 0;
    bexp_row(what, fmts[i].name, s, goal);
  }
  prof__model_free(m);
  return bad;
}

int main(void) {
  printf("CPU seconds, 1,000,000 samples over 20,000 frames, written to "
         "/dev/null.\n\n");
  printf("| case | step | CPU s | goal |\n|---|---|---:|---|\n");
  int bad = bexp_case("typical: 100k stacks", 100000, 1, 2.0);
  bad |= bexp_case("worst: 1M stacks", 0, 0, 3.0);
  return bad;
}
