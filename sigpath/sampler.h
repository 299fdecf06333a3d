/* What the signal handler sees of a session: the sampler, read-only while
 * the session is active, reached only through prof__active. */
#ifndef PROF_SIGPATH_SAMPLER_H
#define PROF_SIGPATH_SAMPLER_H

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "sigpath/ring.h"

/* CPU time threads had when the session started, so that a thread's first
 * sample weighs only the time since the start. Written before the signal
 * is armed, read-only afterwards (open addressing on tid). */
#define PROF__BASELINE_SLOTS 4096
struct prof__baseline {
  int32_t tid; /* 0 = empty */
  uint64_t cpu_ns;
};

/* Descriptor numbers below this can be marked as libprof perf events,
 * whose period the handler then redraws (jitter.c); a thread whose event
 * got a higher number keeps a fixed period. */
#define PROF__PERF_FDS 4096
/* si_value of libprof's CPU-clock timers: tells their signals apart from
 * a timer of the program's that sends the same number. */
#define PROF__JITTER_TOKEN ((void *)0x6c696270726f66u)

/* What the signal handler needs; read-only while the session is active. */
struct prof__sampler {
  uint32_t gen;          /* session generation, see struct prof__tls    */
  pid_t pid;
  int wall;              /* weights are wall time, not thread CPU time  */
  _Atomic int jitter;    /* LIBPROF_JITTER: periods drawn at random;
                            0 while the triggers are being released     */
  int itimer;            /* mode itimer: SIGPROF from ITIMER_PROF       */
  uint64_t seed;         /* LIBPROF_SEED, or a random one               */
  uint64_t period_ns;    /* the mean period                             */
  size_t stack_bytes;
  struct prof__ring ring;
  struct prof__baseline baseline[PROF__BASELINE_SLOTS];
  /* 1 = that descriptor number is one of our perf events (the registry
   * writes it under its lock, the handler reads it). */
  _Atomic unsigned char perf_fd[PROF__PERF_FDS];
};

/* The active sampler, or NULL; the handler's only entry to the session. */
PROF__HIDDEN extern struct prof__sampler *_Atomic prof__active;
/* Handlers between entry and exit; prof_stop waits for 0. */
PROF__HIDDEN extern _Atomic int prof__handlers_running;

/* The signal handler (handler.c). */
PROF__HIDDEN void prof__on_signal(int sig, siginfo_t *si, void *uc);

/* Fills sa with libprof's sampling handler and its flags. AS-safe,
 * thread-safe. */
PROF__HIDDEN void prof__handler_action(struct sigaction *sa);

/* 1 if the disposition sa is libprof's handler. Not called by it. */
PROF__HIDDEN int prof__handler_is_ours(const struct sigaction *sa);

/* Weight of a sample taken now on this thread. PROF__SIGSAFE. */
PROF__HIDDEN uint64_t prof__thread_weight(const struct prof__sampler *s,
                                          int32_t tid, uint64_t *now_mono);

PROF__HIDDEN uint64_t prof__now_ns(clockid_t clk);

/* The next period of the calling thread (tid), uniform within +-50 % of
 * s->period_ns, from its generator in initial-exec TLS (seeded from
 * s->seed and tid - pid on the first draw of a session). PROF__SIGSAFE. */
PROF__HIDDEN uint64_t prof__jitter_draw(const struct prof__sampler *s,
                                        int32_t tid);

/* Handler: if jitter is on and si is an overflow of one of our perf
 * events, one of our CPU-clock timers or ITIMER_PROF, sets its next period to a new
 * draw (one ioctl, timer_settime or setitimer). PROF__SIGSAFE. */
PROF__HIDDEN void prof__jitter_rearm(struct prof__sampler *s,
                                     const siginfo_t *si, int32_t tid);

/* Fills the baseline table from /proc/self/task (profiler/baseline.c).
 * Not AS-safe; called before the signal is armed. */
PROF__HIDDEN void prof__baseline_fill(struct prof__sampler *s);

#endif
