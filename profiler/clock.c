/* Sample weights: measured time, never the nominal period, because the
 * kernel delivers fewer timer ticks than asked above its tick rate. */
#include <dirent.h>
#include <stdlib.h>
#include <time.h>

#include "profiler/session.h"
#include "profiler/thread.h"

PROF__SIGSAFE uint64_t prof__now_ns(clockid_t clk) {
  struct timespec ts;
  clock_gettime(clk, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The kernel's CPU clock id of another thread of this process
 * (MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED) in the kernel ABI; glibc's
 * pthread_getcpuclockid computes the same). */
static clockid_t prof__thread_clock(pid_t tid) {
  return (clockid_t)((~(unsigned)tid << 3) | 6);
}

static struct prof__baseline *prof__baseline_slot(struct prof__baseline *b,
                                                  int32_t tid) {
  uint32_t h = (uint32_t)tid * 2654435761u;
  for (uint32_t i = 0; i < PROF__BASELINE_SLOTS; i++) {
    struct prof__baseline *e = &b[(h + i) & (PROF__BASELINE_SLOTS - 1)];
    if (e->tid == tid || e->tid == 0)
      return e;
  }
  return NULL;
}

void prof__baseline_fill(struct prof__sampler *s) {
  DIR *d = opendir("/proc/self/task");
  struct dirent *de;
  if (!d)
    return;
  while ((de = readdir(d)) != NULL) {
    int32_t tid = atoi(de->d_name);
    struct timespec ts;
    if (tid <= 0 || clock_gettime(prof__thread_clock(tid), &ts) != 0)
      continue;
    struct prof__baseline *e = prof__baseline_slot(s->baseline, tid);
    if (e) {
      e->tid = tid;
      e->cpu_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    }
  }
  closedir(d);
}

/* A thread's first sample in a session: threads that existed at the start
 * count from their baseline; threads not in the table were born after the
 * start, so all their CPU time belongs to the session. */
PROF__SIGSAFE static uint64_t prof__first_base(const struct prof__sampler *s,
                                               int32_t tid, uint64_t now) {
  if (s->wall)
    return now > s->period_ns ? now - s->period_ns : 0;
  uint32_t h = (uint32_t)tid * 2654435761u;
  for (uint32_t i = 0; i < PROF__BASELINE_SLOTS; i++) {
    const struct prof__baseline *e =
        &s->baseline[(h + i) & (PROF__BASELINE_SLOTS - 1)];
    if (e->tid == tid)
      return e->cpu_ns;
    if (e->tid == 0)
      return 0;
  }
  return now > s->period_ns ? now - s->period_ns : 0;
}

PROF__SIGSAFE uint64_t prof__thread_weight(const struct prof__sampler *s,
                                           int32_t tid, uint64_t *now_mono) {
  uint64_t mono = prof__now_ns(CLOCK_MONOTONIC);
  uint64_t now = s->wall ? mono : prof__now_ns(CLOCK_THREAD_CPUTIME_ID);
  uint64_t prev = prof__tls.gen == s->gen ? prof__tls.last_ns
                                          : prof__first_base(s, tid, now);
  prof__tls.last_ns = now;
  prof__tls.gen = s->gen;
  *now_mono = mono;
  return now > prev ? now - prev : 0;
}
