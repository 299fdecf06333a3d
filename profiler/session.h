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
#include "sigpath/sampler.h"

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
  int fork_child;               /* followed a fork: see collector.c    */
  struct prof__log log;         /* where the summary goes              */
};

/* Runs fn with the running session (or NULL) under the session lock, so
 * that no session starts or stops meanwhile; returns what fn returned.
 * Not from libprof's own threads (prof_stop holds the lock while it waits
 * for the collector). */
PROF__HIDDEN int prof__session_locked(int (*fn)(struct prof__session *,
                                                void *),
                                      void *arg);

#endif
