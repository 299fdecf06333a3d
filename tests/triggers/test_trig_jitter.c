/* The period generator behind LIBPROF_JITTER and LIBPROF_SEED (issue 11):
 * draws stay within +-50 % of the mean and average to it, the same seed
 * gives the same sequence in every run (the main thread's does not depend
 * on the pid), threads and seeds get different ones; and the settings'
 * parsing. The handler's use of the draws is tested by test_triggers.py
 * (jitter). */
#include <stdlib.h>
#include <string.h>

#include "cu_suite.h"
#include "profiler/config.h"
#include "sigpath/sampler.h"
#include "sigpath/thread.h"

#define N 20000
#define MEAN 10000000u /* 100 Hz */

static struct prof__sampler smp;
static uint64_t seq_a[N], seq_b[N];

/* A new session generation reseeds the calling thread's generator. */
static void draw(uint64_t seed, pid_t pid, int32_t tid, uint64_t *out) {
  smp.gen++;
  smp.seed = seed;
  smp.pid = pid;
  smp.period_ns = MEAN;
  for (int i = 0; i < N; i++)
    out[i] = prof__jitter_draw(&smp, tid);
}

static int same(const uint64_t *a, const uint64_t *b) {
  int n = 0;
  for (int i = 0; i < N; i++)
    n += a[i] == b[i];
  return n;
}

static void test_range_and_mean(void) {
  draw(7, 1000, 1000, seq_a);
  uint64_t lo = UINT64_MAX, hi = 0, sum = 0;
  for (int i = 0; i < N; i++) {
    lo = seq_a[i] < lo ? seq_a[i] : lo;
    hi = seq_a[i] > hi ? seq_a[i] : hi;
    sum += seq_a[i];
  }
  CU_ASSERT(lo >= MEAN / 2);
  CU_ASSERT(hi < MEAN / 2 * 3);
  CU_ASSERT(lo < MEAN / 2 + MEAN / 100); /* it does spread over the range */
  CU_ASSERT(hi > MEAN / 2 * 3 - MEAN / 100);
  uint64_t mean = sum / N;
  CU_ASSERT(mean > MEAN - MEAN / 100 && mean < MEAN + MEAN / 100);
}

static void test_seed_reproducible(void) {
  draw(42, 1000, 1000, seq_a);
  draw(42, 5555, 5555, seq_b); /* another run: main thread, other pid */
  CU_ASSERT_EQUAL(same(seq_a, seq_b), N);
  draw(42, 1000, 1003, seq_b); /* the run's third thread */
  CU_ASSERT(same(seq_a, seq_b) < N / 100);
  draw(43, 1000, 1000, seq_b); /* the next seed */
  CU_ASSERT(same(seq_a, seq_b) < N / 100);
}

static int load(struct prof__config *c, char *err, size_t len) {
  setenv("LIBPROF_OUT", "/tmp/prof-jitter-unit.json", 1);
  return prof__config_load(NULL, c, err, len);
}

static void test_settings(void) {
  static struct prof__config c, d;
  char err[512];
  unsetenv("LIBPROF_JITTER");
  unsetenv("LIBPROF_SEED");
  CU_ASSERT_EQUAL(load(&c, err, sizeof(err)), 0);
  CU_ASSERT_EQUAL(c.jitter, 1); /* on by default */
  CU_ASSERT_EQUAL(load(&d, err, sizeof(err)), 0);
  CU_ASSERT(c.seed != d.seed); /* unset: each run its own */
  setenv("LIBPROF_SEED", "12345678901", 1);
  setenv("LIBPROF_JITTER", "0", 1);
  CU_ASSERT_EQUAL(load(&c, err, sizeof(err)), 0);
  CU_ASSERT_EQUAL(c.seed, 12345678901u);
  CU_ASSERT_EQUAL(c.jitter, 0);
  setenv("LIBPROF_JITTER", "yes", 1);
  CU_ASSERT_EQUAL(load(&c, err, sizeof(err)), PROF_ECONFIG);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "LIBPROF_JITTER=\"yes\" is invalid"));
  setenv("LIBPROF_JITTER", "1", 1);
  setenv("LIBPROF_SEED", "-3", 1);
  CU_ASSERT_EQUAL(load(&c, err, sizeof(err)), PROF_ECONFIG);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "LIBPROF_SEED=\"-3\" is invalid"));
  unsetenv("LIBPROF_SEED");
  unsetenv("LIBPROF_JITTER");
}

int main(void) {
  static const struct cu_test tests[] = {
      {"draws within +-50% of the mean, mean kept", test_range_and_mean},
      {"same seed same periods, per thread", test_seed_reproducible},
      {"LIBPROF_JITTER and LIBPROF_SEED", test_settings},
  };
  return cu_run_suite("trig_jitter", tests, CU_COUNT(tests));
}
