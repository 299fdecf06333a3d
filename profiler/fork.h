/* fork and exec: output paths of other processes, the sampling signal
 * around fork, and a fork child's session. Not AS-safe unless a
 * declaration says so. */
#ifndef PROF_PROFILER_FORK_H
#define PROF_PROFILER_FORK_H

#include <sys/types.h>

#include "profiler/config.h"

/* The output path of process pid for a session configured like c: the
 * pattern with %p expanded to pid if it has %p, else c->out with ".<pid>"
 * inserted before the first dot of the file name ("out.json" becomes
 * "out.<pid>.json"; "out" becomes "out.<pid>"). */
PROF__HIDDEN void prof__out_for_pid(struct prof__config *c, pid_t pid);

/* At load, before any thread exists: a process that starts profiling from
 * LIBPROF_OUT without %p records itself in LIBPROF_OUT_PID (unless set),
 * so that programs it execs with the same environment write their own
 * files instead of overwriting its. */
PROF__HIDDEN void prof__out_claim(void);

/* At prof_start: applies that rule (path from LIBPROF_OUT, no %p, and
 * LIBPROF_OUT_PID names another process) with prof__out_for_pid. */
PROF__HIDDEN void prof__out_adjust(struct prof__config *c);

/* Around fork (atfork handlers): blocks sig in the forking thread so that
 * a sampling signal cannot interrupt, and restart, the fork of a large
 * process; restores the mask in parent and child. */
PROF__HIDDEN void prof__fork_block(int sig);
PROF__HIDDEN void prof__fork_unblock(void);

/* In a fork child (session.c): forgets the parent's session, resets
 * every libprof lock and the cached tid; AS-safe (the child handler, and
 * libprof's _Fork, call it). With follow, notes the session the child is
 * to start (unless LIBPROF_FORK=stop); without, the child starts none and
 * the program's disposition of the signal is restored. */
PROF__HIDDEN void prof__fork_child_reset(int follow);

/* After fork() has returned in the child (libprof's fork, daemon,
 * forkpty): starts the child's own session if one is owed. */
PROF__HIDDEN void prof__fork_follow(void);

#endif
