/* The collector thread: drains the ring, unwinds and merges each sample,
 * aggregates identical stacks, and at the end symbolizes and writes the
 * profile. It runs with every signal blocked, so it is never sampled. */
#ifndef PROF_PROFILER_COLLECTOR_H
#define PROF_PROFILER_COLLECTOR_H

#include "profiler/session.h"

/* Creates the modules cache and the unwinder (so a missing libunwind is
 * reported at start) and starts the thread. Returns 0 or PROF_E*. */
PROF__HIDDEN int prof__collector_start(struct prof__session *s);

/* Counts for the summary line. */
struct prof__collector_totals {
  uint64_t kept, weight_ns, threads;
};

/* Asks the thread to drain what is left, write the output, and exit;
 * joins it, fills *t, frees the collector. Returns the write's result.
 * The caller has already made sure no signal handler is still filling a
 * slot. */
PROF__HIDDEN int prof__collector_finish(struct prof__session *s,
                                        struct prof__collector_totals *t);

/* Drains every published sample now, from any thread but the collector,
 * and waits until it is done (used before an object is unloaded). */
PROF__HIDDEN void prof__collector_sync(struct prof__session *s);

/* Runs fn(aggregate, arg) on the collector thread after it drained every
 * sample published before the call, and waits until it returned. One
 * call at a time (callers hold the session lock, so the collector is
 * running and not finishing). Not from the collector thread. */
struct prof__agg;
PROF__HIDDEN void prof__collector_call(struct prof__session *s,
                                       void (*fn)(struct prof__agg *, void *),
                                       void *arg);

/* 1 on a collector thread (where runtimes' symbolizer hooks run), else
 * 0. Thread-safe. */
PROF__HIDDEN int prof__collector_self(void);

#endif
