/* Thread host.
 *   fair UNIT_MS  8 threads "fair-K" burn K*UNIT_MS of CPU (K = 1..8)
 *   many          64 threads "many-K" burn 20 ms each
 *   late [OUT]    a thread created before the session ("early"), one after
 *                 it ("late", renamed "late-named" once running, ends with
 *                 pthread_exit), and one created with every signal blocked
 *                 ("blocked"). Linked build: the program calls prof_start
 *                 with OUT and prof_stop itself; plain build: the session
 *                 is the one LD_PRELOAD started at load.
 * Each worker prints "cpu NAME NS" with the CPU time it burned. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trig_util.h"
#ifdef TRIG_OLD_SYMVER
/* Binds like a program linked before glibc 2.34 (libprof's pthread_create
 * must interpose that version too). */
__asm__(".symver pthread_create, pthread_create@GLIBC_2.2.5");
#endif
#ifdef TRIG_LINKED
#include "libprof.h"
#endif

struct job {
  char name[16];
  uint64_t ns;
  uint64_t used;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int started, finished;

static void wait_flag(int *flag) {
  pthread_mutex_lock(&mu);
  while (!*flag)
    pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
}

static void set_flag(int *flag) {
  pthread_mutex_lock(&mu);
  *flag = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
}

__attribute__((noinline)) static void fair_work(struct job *j) {
  uint64_t t0 = trig_thread_cpu_ns();
  TRIG_BURN(j->ns);
  j->used = trig_thread_cpu_ns() - t0;
}

static void *fair_thread(void *arg) {
  struct job *j = arg;
  pthread_setname_np(pthread_self(), j->name);
  fair_work(j);
  return NULL;
}

static int run_jobs(int n, uint64_t unit_ns, int scaled, const char *prefix) {
  pthread_t th[64];
  struct job jobs[64];
  for (int i = 0; i < n; i++) {
    snprintf(jobs[i].name, sizeof(jobs[i].name), "%s-%d", prefix, i + 1);
    jobs[i].ns = scaled ? unit_ns * (uint64_t)(i + 1) : unit_ns;
    if (pthread_create(&th[i], NULL, fair_thread, &jobs[i]) != 0)
      return 1;
  }
  for (int i = 0; i < n; i++) {
    pthread_join(th[i], NULL);
    printf("cpu %s %llu\n", jobs[i].name, (unsigned long long)jobs[i].used);
  }
  return 0;
}

__attribute__((noinline)) static void early_work(void) {
  TRIG_BURN(300000000u);
}
__attribute__((noinline)) static void late_work(void) {
  TRIG_BURN(100000000u);
  pthread_setname_np(pthread_self(), "late-named");
  TRIG_BURN(200000000u);
}
__attribute__((noinline)) static void blocked_work(void) {
  TRIG_BURN(300000000u);
}

static void *early_thread(void *arg) {
  pthread_setname_np(pthread_self(), "early");
  wait_flag(&started);
  early_work();
  return arg;
}

static void *late_thread(void *arg) {
  pthread_setname_np(pthread_self(), "late");
  late_work();
  wait_flag(&finished); /* alive at the end, so its late name is read */
  pthread_exit(arg);
}

static void *blocked_thread(void *arg) {
  pthread_setname_np(pthread_self(), "blocked");
  blocked_work();
  return arg;
}

static int run_late(const char *out) {
  pthread_t early, late, blocked;
  sigset_t all, old;
  pthread_create(&early, NULL, early_thread, NULL);
#ifdef TRIG_LINKED
  struct prof_options o;
  memset(&o, 0, sizeof(o));
  o.out = out;
  if (prof_start(&o) != 0)
    return 2;
#else
  (void)out;
#endif
  set_flag(&started);
  pthread_create(&late, NULL, late_thread, NULL);
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_create(&blocked, NULL, blocked_thread, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_join(early, NULL);
  pthread_join(blocked, NULL);
  usleep(350000); /* late is done burning and waits */
#ifdef TRIG_LINKED
  if (prof_stop() != 0)
    return 3;
  set_flag(&finished);
  pthread_join(late, NULL);
#endif
  /* Plain build: late is still waiting when exit() stops the session. */
  return 0;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "fair";
  if (strcmp(mode, "fair") == 0)
    return run_jobs(8, (argc > 2 ? atoi(argv[2]) : 100) * 1000000ull, 1,
                    "fair");
  if (strcmp(mode, "many") == 0)
    return run_jobs(64, 20000000u, 0, "many");
  if (strcmp(mode, "late") == 0)
    return run_late(argc > 2 ? argv[2] : "late.json");
  fprintf(stderr, "unknown mode %s\n", mode);
  return 64;
}
