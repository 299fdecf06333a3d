/* A thread's first sample in a session weighs its CPU time since the
 * session started (threads alive at prof_start, read from the baseline
 * table) or since its birth (threads created later). A mutation run found
 * nothing in the suite failing when every first sample weighed 0: short
 * threads at a low rate have no other sample, so their time vanished.
 *
 * Samples are taken synchronously (a raw tgkill to the thread itself, which
 * libprof's handler takes like any sampling signal) at 1 Hz, so no timer
 * sample lands on these threads (each uses far less than 1 s of CPU after
 * the start): each thread's weight in the profile is exactly its first
 * sample's. Thread CPU clocks are unaffected by scheduling, so the
 * expected weights are exact up to the few microseconds between reading
 * the clock here and reading it in the handler. */
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

#define MS 1000000ull
#define SLACK_NS (1 * MS) /* clock read here -> clock read in the handler */
#define NLATE 6

static pthread_barrier_t pre_b, late_b;
/* pre: CPU before each session's start, and right before its sample. */
static unsigned long long pre_base[2], pre_at[2];
static unsigned long long late_at[NLATE];
static volatile unsigned sink;

static unsigned long long cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void burn_until(unsigned long long t) {
  while (cpu_ns() < t)
    for (int i = 0; i < 1000; i++)
      sink = sink * 31 + (unsigned)i;
}

/* Alive before both sessions; between them it keeps burning CPU that
 * neither session may count. */
static void *pre_thread(void *arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "pre");
  burn_until(cpu_ns() + 50 * MS); /* before any session */
  for (int s = 0; s < 2; s++) {
    pre_base[s] = cpu_ns();
    pthread_barrier_wait(&pre_b); /* main starts session s */
    pthread_barrier_wait(&pre_b);
    burn_until(pre_base[s] + (30 - 10 * s) * MS);
    pre_at[s] = cpu_ns();
    take_sample();
    pthread_barrier_wait(&pre_b); /* main stops session s */
    burn_until(cpu_ns() + 40 * MS);
  }
  return NULL;
}

/* Born during the session: all of its CPU time is the session's. */
static void *late_thread(void *arg) {
  int i = (int)(long)arg;
  char name[16];
  snprintf(name, sizeof(name), "late%d", i);
  pthread_setname_np(pthread_self(), name);
  burn_until((unsigned long long)(i + 1) * 3 * MS);
  late_at[i] = cpu_ns();
  take_sample();
  pthread_barrier_wait(&late_b); /* sampled */
  pthread_barrier_wait(&late_b); /* session stopped: names are known */
  return NULL;
}

static struct ss_profile prof[2];

static double thread_weight(const struct ss_profile *p, const char *name) {
  const struct ss_thread *t = ss_thread(p, name);
  double w = 0;
  for (size_t i = 0; t && i < t->n; i++)
    w += t->stacks[i].weight;
  return t ? w : -1;
}

/* Exact up to SLACK_NS: at least the CPU used up to `at` since `from`. */
static void check_weight(const struct ss_profile *p, const char *name,
                         unsigned long long from, unsigned long long at) {
  double want = (double)(at - from), got = thread_weight(p, name);
  printf("\n  %s: first sample %.3f ms, CPU since %s %.3f ms", name, got / 1e6,
         from ? "the start" : "birth", want / 1e6);
  CU_ASSERT(got >= want - (double)SLACK_NS && got <= want + (double)SLACK_NS);
}

static void test_pre_existing_thread(void) {
  for (int s = 0; s < 2; s++)
    check_weight(&prof[s], "pre", pre_base[s], pre_at[s]);
  printf("\n");
}

static void test_late_threads(void) {
  for (int i = 0; i < NLATE; i++) {
    char name[16];
    snprintf(name, sizeof(name), "late%d", i);
    check_weight(&prof[0], name, 0, late_at[i]);
  }
  printf("\n");
}

static int run_session(int s, const char *path) {
  struct prof_options o = {.out = path, .hz = 1, .quiet = 1};
  pthread_t late[NLATE];
  pthread_barrier_wait(&pre_b);
  if (prof_start(&o) != 0)
    return -1;
  pthread_barrier_wait(&pre_b);
  if (s == 0) {
    for (long i = 0; i < NLATE; i++)
      pthread_create(&late[i], NULL, late_thread, (void *)i);
    pthread_barrier_wait(&late_b);
  }
  pthread_barrier_wait(&pre_b); /* pre took its sample */
  int r = prof_stop();
  if (s == 0) {
    pthread_barrier_wait(&late_b);
    for (int i = 0; i < NLATE; i++)
      pthread_join(late[i], NULL);
  }
  if (r != 0 || ss_load(path, &prof[s]) != 0)
    return -1;
  unlink(path);
  return 0;
}

int main(void) {
  char path[128];
  pthread_t pre;
  snprintf(path, sizeof(path), "/tmp/libprof-firstw-%d.json", getpid());
  pthread_barrier_init(&pre_b, NULL, 2);
  pthread_barrier_init(&late_b, NULL, NLATE + 1);
  pthread_create(&pre, NULL, pre_thread, NULL);
  for (int s = 0; s < 2; s++)
    if (run_session(s, path) != 0)
      return 1;
  pthread_join(pre, NULL);
  static const struct cu_test tests[] = {
      {"a thread alive at start weighs its CPU since each start",
       test_pre_existing_thread},
      {"threads born later weigh their CPU since birth", test_late_threads},
  };
  int rc = cu_run_suite("first sample weight", tests, CU_COUNT(tests));
  ss_free(&prof[0]);
  ss_free(&prof[1]);
  return rc;
}
