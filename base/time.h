/* Clock helpers shared by the signal path, the triggers and the session.
 * All async-signal-safe: arithmetic and clock_gettime only. */
#ifndef PROF_BASE_TIME_H
#define PROF_BASE_TIME_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

static inline uint64_t prof__ts_ns(const struct timespec *ts) {
  return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

/* The kernel's CPU clock id of another thread of this process
 * (MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED) in the kernel ABI; what
 * glibc's pthread_getcpuclockid computes for a pthread_t). */
static inline clockid_t prof__tid_cpuclock(pid_t tid) {
  return (clockid_t)((~(unsigned)tid << 3) | 6);
}

#endif
