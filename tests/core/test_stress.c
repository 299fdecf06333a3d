/* Stress: four threads dlopen/dlclose a small object in a loop (and run
 * code in it) while four threads burn CPU in deep stacks, sampled at the
 * highest rate, for a fixed time budget. A watchdog fails the run if any
 * thread stops making progress for 5 s (a deadlock), including during
 * prof_stop. The profile is written from the environment at exit and the
 * test driver validates it. Usage: test_stress PLUGIN.so SECONDS */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "libprof.h"

#define WORKERS 8
static atomic_ulong progress[WORKERS + 1]; /* last: the main thread */
static atomic_int stop_flag;
static const char *plugin;
static volatile unsigned sink;

static __attribute__((noinline)) unsigned deep(int n) {
  if (n == 0) {
    for (int i = 0; i < 2000; i++)
      sink = sink * 31 + (unsigned)i;
    return sink;
  }
  unsigned r = deep(n - 1);
  __asm__ volatile("" : "+r"(r)); /* keeps real recursion: no loop */
  return r + 1;
}

static void *burner(void *arg) {
  atomic_ulong *p = arg;
  while (!atomic_load(&stop_flag)) {
    deep(30);
    atomic_fetch_add(p, 1);
  }
  return NULL;
}

static void *churner(void *arg) {
  atomic_ulong *p = arg;
  while (!atomic_load(&stop_flag)) {
    void *h = dlopen(plugin, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      fprintf(stderr, "dlopen: %s\n", dlerror());
      exit(3);
    }
    unsigned (*work)(unsigned) = (unsigned (*)(unsigned))dlsym(h, "churn_work");
    work(20000);
    dlclose(h);
    atomic_fetch_add(p, 1);
  }
  return NULL;
}

/* While the workers run, each must progress; once they stop, the main
 * thread's joins and prof_stop must finish within the same 5 s. */
static void *watchdog(void *arg) {
  unsigned long last[WORKERS + 1] = {0};
  double stalled[WORKERS + 1] = {0};
  for (;;) {
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    int first = atomic_load(&stop_flag) ? WORKERS : 0;
    for (int i = first; i <= WORKERS; i++) {
      unsigned long v = atomic_load(&progress[i]);
      stalled[i] = v == last[i] ? stalled[i] + 0.1 : 0;
      last[i] = v;
      if (stalled[i] >= 5.0) {
        fprintf(stderr, "watchdog: thread %d made no progress for 5 s\n", i);
        _exit(2);
      }
    }
  }
  return arg;
}

int main(int argc, char **argv) {
  plugin = argv[1];
  double secs = argc > 2 ? atof(argv[2]) : 5;
  pthread_t t[WORKERS], w;
  pthread_create(&w, NULL, watchdog, NULL);
  for (int i = 0; i < WORKERS; i++)
    pthread_create(&t[i], NULL, i < 4 ? churner : burner, &progress[i]);
  for (int ticks = 0; ticks < secs * 10; ticks++) {
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    atomic_fetch_add(&progress[WORKERS], 1);
  }
  atomic_store(&stop_flag, 1);
  for (int i = 0; i < WORKERS; i++) {
    pthread_join(t[i], NULL);
    atomic_fetch_add(&progress[WORKERS], 1);
  }
  int r = prof_stop(); /* under the watchdog: a deadlock here fails too */
  printf("prof_stop %d, churn %lu, burn %lu\n", r,
         (unsigned long)progress[0], (unsigned long)progress[4]);
  return r == 0 ? 0 : 1;
}
