/* Thread churn: thousands of short threads under sampling, ending by
 * return, pthread_exit and cancellation, must leave no perf descriptor
 * and no POSIX timer behind, in modes cpu and timer. */
#include <CUnit/Basic.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "libprof.h"
#include "trig_check.h"
#include "trig_util.h"

#define CHURN_THREADS 3000
#define CHURN_BATCH 16

/* Most threads burn 0.1 ms, less than one sampling period of their own
 * CPU time, so per-thread triggers never fire in them (docs/sampling.md);
 * every 100th burns 6 ms and must be sampled. */
__attribute__((noinline)) static void churn_work(long k) {
  TRIG_BURN(k % 100 == 0 ? 6000000 : 100000);
  if (k % 3 == 1)
    pthread_exit(NULL);
  if (k % 3 == 2)
    for (;;)
      usleep(1000); /* a cancellation point: pthread_cancel ends it */
}

static void *churn_thread(void *arg) {
  churn_work((long)arg);
  return NULL;
}

static void churn(const char *mode, const char *file) {
  int fds0 = trig_count_fds(), timers0 = trig_count_timers();
  struct prof_options o;
  memset(&o, 0, sizeof(o));
  o.out = trig_tmp_path(file);
  o.mode = mode;
  o.hz = 1000;
  o.quiet = -1;
  CU_ASSERT_EQUAL_FATAL(prof_start(&o), 0);
  for (long i = 0; i < CHURN_THREADS; i += CHURN_BATCH) {
    pthread_t th[CHURN_BATCH];
    for (long k = 0; k < CHURN_BATCH; k++)
      CU_ASSERT_EQUAL_FATAL(
          pthread_create(&th[k], NULL, churn_thread, (void *)(i + k)), 0);
    for (long k = 0; k < CHURN_BATCH; k++) {
      if ((i + k) % 3 == 2)
        pthread_cancel(th[k]);
      pthread_join(th[k], NULL);
    }
  }
  /* Only the main thread (and libprof's own threads) are left. */
  int fds1 = trig_count_fds(), timers1 = trig_count_timers();
  CU_ASSERT_EQUAL(prof_stop(), 0);
  int fds2 = trig_count_fds(), timers2 = trig_count_timers();
  printf("\n  %s: fds %d -> %d (session) -> %d; timers %d -> %d -> %d\n",
         mode, fds0, fds1, fds2, timers0, timers1, timers2);
  CU_ASSERT(fds1 <= fds0 + 2);
  CU_ASSERT(timers1 <= timers0 + 1);
  CU_ASSERT_EQUAL(fds2, fds0);
  CU_ASSERT_EQUAL(timers2, timers0);
  CU_ASSERT(trig_weight(o.out, "churn_work") > 0);
}

/* libunwind opens a pipe once per process, at the first session: open it
 * before anything is counted. */
static int warm_up(void) {
  struct prof_options o;
  memset(&o, 0, sizeof(o));
  o.out = trig_tmp_path("warm-up.json");
  o.quiet = 1;
  if (prof_start(&o) != 0)
    return -1;
  TRIG_BURN(20000000);
  return prof_stop();
}

static void test_churn_cpu(void) { churn("cpu", "churn-cpu.json"); }
static void test_churn_timer(void) { churn("timer", "churn-timer.json"); }

int main(void) {
  static const struct trig_test tests[] = {
      {"3000 threads, mode cpu: no fd left",
       test_churn_cpu},
      {"3000 threads, mode timer: no timer left",
       test_churn_timer},
      {NULL, NULL}};
  return trig_run_suite("thread churn", warm_up, tests);
}
