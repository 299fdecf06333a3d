/* A profiling session: the state shared by prof_start/prof_stop, the
 * signal handler, the trigger and the collector. */
#ifndef PROF_PROFILER_SESSION_H
#define PROF_PROFILER_SESSION_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "profiler/config.h"
#include "profiler/log.h"
#include "profiler/ring.h"

/* CPU time threads had when the session started, so that a thread's first
 * sample weighs only the time since the start. Written before the signal
 * is armed, read-only afterwards (open addressing on tid). */
#define PROF__BASELINE_SLOTS 4096
struct prof__baseline {
  int32_t tid; /* 0 = empty */
  uint64_t cpu_ns;
};

/* What the signal handler needs; read-only while the session is active. */
struct prof__sampler {
  uint32_t gen;          /* session generation, see struct prof__tls    */
  pid_t pid;
  int wall;              /* weights are wall time, not thread CPU time  */
  uint64_t period_ns;
  size_t stack_bytes;
  struct prof__ring ring;
  struct prof__baseline baseline[PROF__BASELINE_SLOTS];
};

struct prof__trigger;
struct prof__collector;

struct prof__session {
  struct prof__sampler sampler; /* first: the handler's view          */
  struct prof__config cfg;
  struct sigaction old_action;  /* restored at stop                    */
  int installed;                /* our handler is in place             */
  struct prof__trigger *trigger;
  struct prof__collector *collector;
  uint64_t start_mono_ns, start_unix_ns;
  uint64_t stop_mono_ns;
  char mode_note[160];          /* e.g. fallback explanation           */
  struct prof__log log;         /* where the summary goes              */
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

/* Fills the baseline table from /proc/self/task. */
PROF__HIDDEN void prof__baseline_fill(struct prof__sampler *s);

PROF__HIDDEN uint64_t prof__now_ns(clockid_t clk);

#endif
