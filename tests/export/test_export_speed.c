/* Speed check on 1,000,000-sample / 20,000-frame profiles, built and
 * written in every format; CPU time is measured, so a loaded machine does
 * not fail the test.
 *  - typical: samples drawn from 100,000 distinct call paths, the goal's
 *    case: building and each export take 0.2-0.9 s on an idle machine
 *    here; the test fails above 1.5 s (under the 2 s goal with room for a
 *    loaded CI machine, whose cache contention inflates CPU time too);
 *  - worst: every sample a distinct path (1M stacks), a regression guard:
 *    0.5-1.8 s here, failing above 3 s. d3 is left out there: its tree
 *    has ~12M nodes and ~1 GB of JSON, a size the format forces. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "export/export.h"
#include "fixture.h"


static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void export_timed(const struct prof__model *m, enum prof__format f,
                         const char *name, double limit) {
  FILE *null = fopen("/dev/null", "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(null);
  double t0 = cpu_now();
  int rc = prof__export_stream(m, f, NULL, null);
  double dt = cpu_now() - t0;
  fclose(null);
  fprintf(stderr, " %s %.3f s;", name, dt);
  CU_ASSERT_EQUAL(rc, 0);
  CU_ASSERT(dt < limit);
}

static void run(size_t nstacks, int with_d3, double limit) {
  double t0 = cpu_now();
  struct prof__model *m = fixture_big_model(1000000, 20000, nstacks);
  double dt = cpu_now() - t0;
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  fprintf(stderr, "\n  build %.3f s (%zu stacks);", dt, m->nstacks);
  CU_ASSERT(dt < limit);
  export_timed(m, PROF__FMT_SPEEDSCOPE, "speedscope", limit);
  if (with_d3)
    export_timed(m, PROF__FMT_D3, "d3", limit);
  export_timed(m, PROF__FMT_COLLAPSED, "collapsed", limit);
  export_timed(m, PROF__FMT_PPROF, "pprof", limit);
  fprintf(stderr, "\n");
  prof__model_free(m);
}

static void test_typical(void) { run(100000, 1, 1.5); }
static void test_worst(void) { run(0, 0, 3.0); }

int main(void) {
  CU_initialize_registry();
  CU_pSuite s = CU_add_suite("export speed", NULL, NULL);
  CU_add_test(s, "1M samples, 100k stacks", test_typical);
  CU_add_test(s, "1M samples, 1M stacks", test_worst);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures();
  CU_cleanup_registry();
  return failed != 0;
}
