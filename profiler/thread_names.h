/* Names of threads that exited during a session. The collector reads a
 * thread's name from /proc when it first sees the thread's samples, and
 * again at the end; a short thread may be gone by then, so the thread
 * wrapper records the name on the thread's way out. Thread-safe (one
 * mutex); never used in a signal handler. */
#ifndef PROF_PROFILER_THREAD_NAMES_H
#define PROF_PROFILER_THREAD_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"

/* Forgets every recorded name (a new session starts). */
PROF__HIDDEN void prof__thread_names_reset(void);

/* On the exiting thread: records its tid and current name. */
PROF__HIDDEN void prof__thread_names_note_exit(void);

/* Copies the recorded name of tid into buf; 1 if found, else 0. */
PROF__HIDDEN int prof__thread_names_get(int32_t tid, char *buf, size_t len);

/* fork: the mutex is held across fork (a thread exiting meanwhile would
 * otherwise leave it locked in the child), released in the parent and
 * reset in the child. */
PROF__HIDDEN void prof__thread_names_fork_prepare(void);
PROF__HIDDEN void prof__thread_names_fork_parent(void);
PROF__HIDDEN void prof__thread_names_fork_child(int held); /* base/forklock.h */

#endif
