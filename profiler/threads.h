/* The thread registry: which threads the running session samples, and
 * their per-thread triggers.
 *
 * Threads that exist when a session starts are found in /proc/self/task.
 * Threads created later register themselves when they start, because
 * libprof defines pthread_create (it wins over libc's both under
 * LD_PRELOAD and when the program links -lprof) and wraps the start
 * routine. A pthread key destructor releases the thread's trigger when it
 * exits, whether it returns, calls pthread_exit or is cancelled. Threads
 * that exit without passing through the wrapper (those that existed at
 * start) are swept by the monitor, which checks them with tgkill(tid, 0).
 *
 * libprof's own threads (collector, sampler) are "internal": never armed,
 * never signalled, and they run with every signal blocked.
 *
 * Nothing here is AS-safe; the signal handler never touches the registry. */
#ifndef PROF_PROFILER_THREADS_H
#define PROF_PROFILER_THREADS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "arch/arch.h"

struct prof__trigger;

/* Starts sampling every thread with t: arms the threads found in
 * /proc/self/task (per-thread modes) and every thread that starts from now
 * on. sig is the sampling signal: a thread created while a session runs
 * gets it unblocked before its start routine runs. */
PROF__HIDDEN void prof__threads_attach(struct prof__trigger *t, int sig);

/* Disarms and forgets every thread. After return the registry arms no new
 * thread. */
PROF__HIDDEN void prof__threads_detach(void);

/* Sends sig to every sampled thread (the wall sampler). Returns how many
 * were signalled. */
PROF__HIDDEN size_t prof__threads_kill(int sig);

/* Releases the triggers of threads found in /proc/self/task at start
 * that no longer exist (those the wrapper started clean up at exit). */
PROF__HIDDEN void prof__threads_sweep(void);

/* Finds the threads whose perf descriptor the program closed and moves
 * them to a CPU-clock timer (the monitor; prof__trigger_check_fd). */
PROF__HIDDEN void prof__threads_check_fds(void);

/* Disarms every thread without forgetting them (the monitor saw our
 * handler replaced: the program owns the signal now). */
PROF__HIDDEN void prof__threads_disarm_all(void);

/* The program took the sampling signal `from` (sigown.c, with every
 * signal blocked): disarms every thread, lets decide() update t (a new
 * signal, or a mode whose trigger can send it) and re-arms every thread
 * if it returns non-zero, else leaves them muted. No-op unless the
 * running trigger samples with `from`. */
PROF__HIDDEN void
prof__threads_retarget(int from, int (*decide)(struct prof__trigger *t));

/* Disarms and mutes the threads that have sig blocked (the real-time queue
 * guard); returns how many. */
PROF__HIDDEN size_t prof__threads_mute_blocked(int sig);

/* Threads libprof itself creates must not be sampled. Between begin and
 * end, pthread_create on this thread makes internal threads (used around
 * the collector's creation, whose code calls pthread_create itself). */
PROF__HIDDEN void prof__threads_internal_begin(void);
PROF__HIDDEN void prof__threads_internal_end(void);

/* Creates an internal thread with every signal blocked. Returns 0 or an
 * errno value. */
PROF__HIDDEN int prof__thread_create_internal(pthread_t *th,
                                              void *(*fn)(void *), void *arg);

/* CPU time used so far by libprof's internal threads. */
PROF__HIDDEN uint64_t prof__threads_internal_cpu_ns(void);

/* exec: a signal pending at execve would hit the new program's default
 * disposition (SIGPROF terminates it), and ITIMER_PROF survives execve.
 * Prepare disarms the calling thread (and ITIMER_PROF), then discards
 * pending instances; returns 1 if there is something to undo should the
 * exec fail. Does nothing in a vfork child. */
PROF__HIDDEN int prof__threads_exec_prepare(void);
PROF__HIDDEN void prof__threads_exec_undo(void);

/* 1 on libprof's own threads (collector, sampler), else 0. */
PROF__HIDDEN int prof__threads_self_internal(void);

/* fork(): the registry lock and the thread-names lock are held across
 * fork so the child inherits them consistent. The child closes the perf
 * fds it inherited that are still libprof's (they watch the parent's
 * threads) and forgets everything; it uses AS-safe calls only. */
PROF__HIDDEN void prof__threads_fork_prepare(void);
PROF__HIDDEN void prof__threads_fork_parent(void);
PROF__HIDDEN void prof__threads_fork_child(int held); /* base/forklock.h */

#endif
