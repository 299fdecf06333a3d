/* The runtime registry's collector-side and fork parts: names kept for
 * runtimes unregistered mid-session (runtime_retire.c) and the registry
 * lock around fork. The table the handler reads is sigpath/runtime.h. */
#ifndef PROF_PROFILER_RUNTIME_H
#define PROF_PROFILER_RUNTIME_H

#include "profiler/aggregate.h"
#include "profiler/symbolize.h"
#include "sigpath/runtime.h"

/* The name of runtime id, registered or unregistered during the running
 * session; NULL if none. Collector thread (build). */
PROF__HIDDEN const char *prof__runtime_name(int id);

/* ---- runtime_retire.c: PCs of runtimes unregistered mid-session ---- */

/* Collector thread, from prof_runtime_unregister: symbolizes every
 * distinct PC of runtime rt_id in the aggregate with its symbolizer, keeps
 * the frames, and ends the batch (pc == 0 call). */
PROF__HIDDEN void prof__retire_symbolize(struct prof__agg *a, int rt_id,
                                         void (*symbolizer)(void *));

/* Emits the kept frames of (rt_id, pc) through fn. Returns 1 if they were
 * found (then *err is what fn returned), 0 if not. Collector thread. */
PROF__HIDDEN int prof__retire_frames(int rt_id, uint64_t pc,
                                     prof__symframe_fn fn, void *arg,
                                     int *err);

/* Drops every kept frame. */
PROF__HIDDEN void prof__retire_forget(void);

/* A session ends or starts: the kept frames are dropped and unregistered
 * slots become free. Under the session lock, no collector running. */
PROF__HIDDEN void prof__runtimes_session_end(void);

/* fork: the registry mutex is held across fork, released in the parent
 * and reset in the child. */
PROF__HIDDEN void prof__runtimes_fork_prepare(void);
PROF__HIDDEN void prof__runtimes_fork_parent(void);
PROF__HIDDEN void prof__runtimes_fork_child(int held); /* base/forklock.h */

#endif
