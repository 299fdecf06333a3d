/* Profiles that survive the usual endings besides exit(): SIGTERM, SIGINT
 * and SIGHUP left at their default disposition, and _exit/_Exit.
 *
 * Writing a profile is not async-signal-safe, so neither the signal
 * handler nor _exit writes: they hand the work to libprof's writer thread
 * (created at session start, every signal blocked) and wait for it, at
 * most PROF__END_WAIT_MS. The signal handler then restores SIG_DFL and
 * re-raises the signal unblocked, so the process ends exactly as it would
 * have; _exit goes on to libc's _exit with the same status.
 *
 * If the interrupted thread holds something the writer needs (the
 * session lock: checked, no wait; the malloc or loader lock: not
 * knowable), the bounded wait runs out and the process ends without the
 * profile. A second ending signal while one is being handled ends the
 * process at once. abort() is left alone (docs/sampling.md says why). */
#ifndef PROF_PROFILER_ENDINGS_H
#define PROF_PROFILER_ENDINGS_H

#include "arch/arch.h"

#define PROF__END_WAIT_MS 10000

struct prof__session;

/* At session start, under the session lock: makes sure this process has
 * its writer thread and catches each ending signal whose disposition (as
 * the program sees it) is SIG_DFL. Cannot fail the session: without a
 * writer thread, those endings lose the profile as they used to. */
PROF__HIDDEN void prof__endings_start(void);

/* At session end: gives the ending signals back (SIG_DFL, or whatever
 * the program installed meanwhile). Thread-safe. */
PROF__HIDDEN void prof__endings_stop(void);

/* Implemented by session.c: prof_stop, noting why in the summary
 * ("written at SIGTERM"). Called by the writer thread only. */
PROF__HIDDEN void prof__stop_for(const char *why);

/* 1 if the calling thread holds the session lock (in prof_start or
 * prof_stop). AS-safe (session.c). */
PROF__SIGSAFE PROF__HIDDEN int prof__session_held_here(void);

#endif
