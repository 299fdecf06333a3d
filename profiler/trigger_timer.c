/* Mode timer: one POSIX timer per thread on that thread's CPU clock,
 * delivered to that thread (SIGEV_THREAD_ID). A thread's CPU clock and
 * SIGEV_THREAD_ID both accept another thread of the process, so the
 * threads found at start are armed from the starting thread. The kernel
 * checks CPU timers at its tick, so the rate is at most the tick rate. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "profiler/trigger.h"
#include "sigpath/sampler.h"

int prof__ptimer_arm(pid_t tid, int sig, uint64_t period_ns, timer_t *out) {
  struct sigevent sev;
  memset(&sev, 0, sizeof(sev));
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = sig;
  sev._sigev_un._tid = tid; /* sigev_notify_thread_id */
  sev.sigev_value.sival_ptr = PROF__JITTER_TOKEN; /* ours, for jitter.c */
  timer_t tm;
  if (timer_create(prof__tid_cpuclock(tid), &sev, &tm) != 0)
    return -errno;
  struct itimerspec its;
  its.it_interval.tv_sec = (time_t)(period_ns / 1000000000u);
  its.it_interval.tv_nsec = (long)(period_ns % 1000000000u);
  its.it_value = its.it_interval;
  if (timer_settime(tm, 0, &its, NULL) != 0) {
    int e = -errno;
    timer_delete(tm);
    return e;
  }
  *out = tm;
  return 0;
}

void prof__ptimer_disarm(timer_t t) { timer_delete(t); }
