/* Randomized sampling periods (LIBPROF_JITTER, docs/sampling.md).
 *
 * Why: with a fixed period a workload whose phases repeat at a multiple
 * of it is always sampled at the same phase (a 6 ms / 4 ms loop at 100 Hz
 * gave its 60 % function 0 % of the samples in five runs out of six).
 * Each period is drawn uniformly within +-50 % of the mean, so no periodic
 * workload can stay in step with it; weights stay measured time.
 *
 * The generator is xorshift64* in this thread's initial-exec TLS (no lock,
 * no allocation), seeded from the session seed and the thread's distance
 * to the process id, so with LIBPROF_SEED fixed the main thread draws the
 * same sequence in every run. */
#include <errno.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "sigpath/sampler.h"
#include "sigpath/thread.h"

/* splitmix64: spreads close seeds (seed, seed + 1) far apart, and never
 * leaves xorshift's forbidden all-zero state for long. */
PROF__SIGSAFE static uint64_t prof__mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15u;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
  x ^= x >> 31;
  return x ? x : 1;
}

PROF__SIGSAFE uint64_t prof__jitter_draw(const struct prof__sampler *s,
                                         int32_t tid) {
  if (prof__tls.rng_gen != s->gen) {
    prof__tls.rng = prof__mix64(s->seed ^ (uint64_t)(uint32_t)(tid - s->pid));
    prof__tls.rng_gen = s->gen;
  }
  uint64_t x = prof__tls.rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  prof__tls.rng = x;
  x *= 0x2545f4914f6cdd1du;
  uint64_t p = s->period_ns;
  /* Uniform in [p/2, 3p/2): mean p. The high bits are the best ones. */
  return p / 2 + (uint64_t)(((unsigned __int128)(x >> 11) * p) >> 53);
}

/* A perf overflow carries its descriptor (F_SETSIG: POLL_IN, si_fd); it
 * is changed only if the registry marked that number as one of our events
 * (the number of an event the program closed is unmarked by the monitor
 * within 100 ms, and a closed event sends nothing more). */
PROF__SIGSAFE static void prof__jitter_perf(struct prof__sampler *s, int fd,
                                            uint64_t next) {
  if (fd < 0 || fd >= PROF__PERF_FDS ||
      !atomic_load_explicit(&s->perf_fd[fd], memory_order_relaxed))
    return;
  ioctl(fd, PERF_EVENT_IOC_PERIOD, &next);
}

/* A CPU-clock timer's signal carries its kernel id and our token in
 * si_value (trigger_timer.c). The interval stays the mean: a re-arm that
 * failed leaves a periodic timer, never a dead one. */
PROF__SIGSAFE static void prof__jitter_timer(int timerid, uint64_t next,
                                             uint64_t mean) {
  struct itimerspec its = {
      {(time_t)(mean / 1000000000u), (long)(mean % 1000000000u)},
      {(time_t)(next / 1000000000u), (long)(next % 1000000000u)}};
  syscall(SYS_timer_settime, timerid, 0, &its, NULL);
}

/* ITIMER_PROF is process-wide: whichever thread takes its signal sets
 * the next expiry for the whole process. */
PROF__SIGSAFE static void prof__jitter_itimer(uint64_t next, uint64_t mean) {
  struct itimerval it = {
      {(time_t)(mean / 1000000000u), (long)(mean % 1000000000u / 1000u)},
      {(time_t)(next / 1000000000u), (long)(next % 1000000000u / 1000u)}};
  setitimer(ITIMER_PROF, &it, NULL);
}

PROF__SIGSAFE void prof__jitter_rearm(struct prof__sampler *s,
                                      const siginfo_t *si, int32_t tid) {
  if (!s->jitter)
    return;
  if (si->si_code == POLL_IN)
    prof__jitter_perf(s, si->si_fd, prof__jitter_draw(s, tid));
  else if (si->si_code == SI_TIMER &&
           si->si_value.sival_ptr == PROF__JITTER_TOKEN)
    prof__jitter_timer(si->si_timerid, prof__jitter_draw(s, tid),
                       s->period_ns);
  else if (si->si_code == SI_KERNEL && s->itimer)
    prof__jitter_itimer(prof__jitter_draw(s, tid), s->period_ns);
}
