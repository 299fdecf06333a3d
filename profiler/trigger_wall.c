/* The sampler thread. In mode wall it signals every registered thread at
 * the requested rate with tgkill, whatever the thread is doing, so threads
 * blocked in read, poll or nanosleep show where they wait. In every mode
 * it is also the monitor (every 100 ms):
 *  - our handler replaced by the program with a raw system call (libc
 *    calls are caught synchronously by sigown.c): disarm everything;
 *  - the summary's duplicate of a pipe stderr the program let go of:
 *    release it (log.h);
 *  - threads that exited without passing through the pthread_create
 *    wrapper: release their triggers (once a second);
 *  - perf descriptors the program closed (daemons close every fd): move
 *    those threads to a CPU-clock timer, which needs no descriptor;
 *  - a real-time signal piling up in the queue of a thread that keeps it
 *    blocked (real-time signals queue, classic ones coalesce): mute that
 *    thread before the per-user queue limit is reached, because perf then
 *    falls back to SIGIO, whose default action kills the process.
 * It is an internal thread: every signal blocked, never sampled. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "profiler/threads.h"
#include "profiler/trigger.h"
#include "sigpath/thread.h"

#define PROF__MONITOR_NS 100000000u /* 100 ms */

static struct timespec prof__ts(uint64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000u),
                        (long)(ns % 1000000000u)};
  return ts;
}

/* The caller's queued real-time signals, and the limit (SigQ: n/limit in
 * /proc/self/status; the count is per user, so it is an upper bound). */
static int prof__sigq(unsigned long *n, unsigned long *limit) {
  char buf[4096];
  FILE *f = fopen("/proc/self/status", "re");
  int found = 0;
  while (f && !found && fgets(buf, sizeof(buf), f))
    found = sscanf(buf, "SigQ: %lu/%lu", n, limit) == 2;
  if (f)
    fclose(f);
  return found ? 0 : -1;
}

static void prof__monitor(struct prof__session *s, unsigned pass) {
  struct prof__trigger *t = s->trigger;
  unsigned long q, limit;
  int sig = t->sig;
  /* A program that installs its handler through libc is seen at once
   * (sigown.c moves the trigger, changing t->sig first); this catches raw
   * rt_sigaction calls. */
  if (!atomic_load(&t->disarmed) && !prof__trigger_handler_ours(sig) &&
      sig == t->sig)
    prof__trigger_on_replaced(s);
  prof__log_check(&s->log, prof__now_ns(CLOCK_MONOTONIC));
  if (pass % 10 == 0) /* once a second: exits are rare, tgkill is not free */
    prof__threads_sweep();
  if (t->mode == PROF__MODE_CPU) /* ~0.5 us a thread */
    prof__threads_check_fds();
  if (t->sig >= SIGRTMIN && prof__sigq(&q, &limit) == 0 &&
      q > 1024 && q > limit / 16)
    atomic_fetch_add(&t->blocked, prof__threads_mute_blocked(t->sig));
}

static void *prof__sampler_main(void *arg) {
  struct prof__session *s = arg;
  struct prof__trigger *t = s->trigger;
  int wall = t->mode == PROF__MODE_WALL;
  uint64_t period = wall ? t->period_ns : PROF__MONITOR_NS;
  uint64_t now = prof__now_ns(CLOCK_MONOTONIC);
  uint64_t next = now + period, next_mon = now + PROF__MONITOR_NS;
  unsigned pass = 0;
  prctl(PR_SET_TIMERSLACK, 1UL); /* wall at 10 kHz needs a precise sleep */
  pthread_mutex_lock(&t->mu);
  while (!t->stopping) {
    struct timespec ts = prof__ts(next);
    pthread_cond_timedwait(&t->cv, &t->mu, &ts);
    now = prof__now_ns(CLOCK_MONOTONIC);
    if (t->stopping || now < next)
      continue;
    /* Missed ticks are skipped, not made up in a burst. Wall draws each
     * sleep (LIBPROF_JITTER), like the handler draws each CPU period. */
    if (wall && s->sampler.jitter)
      period = prof__jitter_draw(&s->sampler, prof__thread_tid());
    next = next + period > now ? next + period : now + period;
    pthread_mutex_unlock(&t->mu);
    if (wall && !atomic_load(&t->disarmed))
      prof__threads_kill(t->sig);
    if (now >= next_mon) {
      prof__monitor(s, ++pass);
      next_mon = now + PROF__MONITOR_NS;
    }
    pthread_mutex_lock(&t->mu);
  }
  pthread_mutex_unlock(&t->mu);
  return NULL;
}

int prof__sampler_start(struct prof__session *s) {
  struct prof__trigger *t = s->trigger;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&t->cv, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_init(&t->mu, NULL);
  int r = prof__thread_create_internal(&t->thread, prof__sampler_main, s);
  if (r != 0)
    return r;
  t->have_thread = 1;
  pthread_setname_np(t->thread, "libprof-sample");
  return 0;
}

void prof__sampler_stop(struct prof__trigger *t) {
  if (!t->have_thread)
    return;
  pthread_mutex_lock(&t->mu);
  t->stopping = 1;
  pthread_cond_signal(&t->cv);
  pthread_mutex_unlock(&t->mu);
  pthread_join(t->thread, NULL);
  t->have_thread = 0;
  pthread_cond_destroy(&t->cv);
  pthread_mutex_destroy(&t->mu);
}
