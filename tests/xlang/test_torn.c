/* Torn-slice test: one thread pushes and pops millions of crossings while
 * it is sampled at the highest rate. Every merged stack must be one the
 * program could really have had: no frame of a popped crossing, none
 * missing from a live one. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cu_suite.h"
#include "libprof.h"
#include "ssread.h"
#include "trt.h"

#define NOINLINE __attribute__((noinline))
#define KEEP() __asm__ volatile("" ::: "memory")

static struct ss_profile prof;
static volatile unsigned sink;
static long pairs;

NOINLINE static void c_work(void) {
  for (int i = 0; i < 16; i++)
    sink = sink * 31 + (unsigned)i;
}
NOINLINE static void body_torn(void) { native_call(trt.a, c_work); KEEP(); }
NOINLINE static void c_host_torn(void) {
  run_managed(trt.a, trt_pc("m_f"), body_torn);
  KEEP();
}

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

NOINLINE static void *torn_loop(void *arg) {
  pthread_setname_np(pthread_self(), "torn");
  double end = cpu_now() + 1.5;
  while (cpu_now() < end)
    for (int i = 0; i < 1000; i++, pairs += 2)
      c_host_torn();
  pthread_barrier_wait(arg);
  pthread_barrier_wait(arg);
  return NULL;
}

/* After torn_loop a stack may end anywhere (the host's own frames, a
 * crossing function, a tail call), but managed frames must match the
 * crossings that were live:
 *   - m_f only as c_host_torn > run_managed > m_f, from runtime rtA;
 *   - c_work only directly under m_f (its crossing was live);
 *   - no other frame of rtA. */
static int valid(const struct ss_frame *f, int n) {
  for (int i = 0; i < n; i++) {
    int managed = strcmp(f[i].runtime, "rtA") == 0;
    if (strcmp(f[i].name, "m_f") == 0) {
      if (i != 2 || !managed || strcmp(f[0].name, "c_host_torn") != 0 ||
          strcmp(f[1].name, "run_managed") != 0)
        return 0;
    } else if (managed) {
      return 0;
    }
    if (strcmp(f[i].name, "c_work") == 0 &&
        (i != 3 || strcmp(f[2].name, "m_f") != 0))
      return 0;
  }
  return 1;
}

static void test_every_stack_consistent(void) {
  const struct ss_thread *t = ss_thread(&prof, "torn");
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  double total = 0, in_work = 0, in_managed = 0;
  size_t bad = 0;
  for (size_t i = 0; i < t->n; i++) {
    const struct ss_stack *s = &t->stacks[i];
    int at = ss_find(s, "torn_loop");
    if (at < 0) { /* thread start-up: no managed frame may appear */
      for (size_t k = 0; k < s->n; k++)
        bad += strcmp(s->frames[k].runtime, "rtA") == 0;
      continue;
    }
    total += s->weight;
    int ok = valid(s->frames + at + 1, (int)(s->n - (size_t)at - 1));
    if (!ok) {
      char buf[4096];
      fprintf(stderr, "\n  inconsistent: %s", ss_join(s, (size_t)at, buf, sizeof(buf)));
      bad++;
    }
    if (ss_find(s, "c_work") >= 0)
      in_work += s->weight;
    if (ss_find(s, "m_f") >= 0)
      in_managed += s->weight;
  }
  CU_ASSERT_EQUAL(bad, 0);
  /* The test means something only if crossings were live and sampled. */
  CU_ASSERT(in_managed > 0.3 * total);
  CU_ASSERT(in_work > 0.1 * total);
  printf("\n  %ld crossing pairs, %zu distinct stacks, %.0f%% with a live "
         "crossing\n", pairs, t->n, 100 * in_managed / (total ? total : 1));
}

int main(void) {
  char path[128];
  pthread_barrier_t b;
  pthread_t th;
  snprintf(path, sizeof(path), "/tmp/libprof-torn-%d.json", getpid());
  struct prof_options o = {.out = path, .hz = 10000, .quiet = 1};
  trt_init();
  pthread_barrier_init(&b, NULL, 2);
  if (prof_start(&o) != 0)
    return 1;
  pthread_create(&th, NULL, torn_loop, &b);
  pthread_barrier_wait(&b);
  int r = prof_stop();
  pthread_barrier_wait(&b);
  pthread_join(th, NULL);
  if (r != 0 || ss_load(path, &prof) != 0)
    return 1;
  unlink(path);
  static const struct cu_test tests[] = {
      {"every merged stack is consistent", test_every_stack_consistent},
  };
  int rc = cu_run_suite("torn slice", tests, CU_COUNT(tests));
  ss_free(&prof);
  return rc;
}
