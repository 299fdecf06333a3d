/* Sample weights: measured time, never the nominal period, because the
 * kernel delivers fewer timer ticks than asked above its tick rate. */
#include <time.h>

#include "base/time.h"
#include "sigpath/sampler.h"
#include "sigpath/thread.h"

PROF__SIGSAFE uint64_t prof__now_ns(clockid_t clk) {
  struct timespec ts;
  clock_gettime(clk, &ts);
  return prof__ts_ns(&ts);
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
