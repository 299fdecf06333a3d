/* Signal ownership: who owns a signal libprof uses, settled synchronously.
 *
 * libprof defines sigaction, signal, sigset, bsd_signal, sysv_signal (and
 * their glibc aliases). For a signal libprof has claimed, the program's
 * call never reaches the kernel blindly: libprof keeps the disposition the
 * program asked for ("want", initially what was there before libprof), and
 * queries return that, never libprof's handler.
 *
 *   PROF__ROLE_SAMPLING: any disposition the program installs (a handler,
 *     SIG_DFL, SIG_IGN) takes the signal from libprof before the call
 *     returns: the trigger moves to another signal or stops
 *     (prof__trigger_taken), pending instances are discarded (through
 *     SIG_IGN), then the program's disposition is installed.
 *   PROF__ROLE_ENDING: the program's SIG_DFL is remembered but libprof's
 *     handler stays (it writes the profile, then dies by the signal as
 *     SIG_DFL would); a handler or SIG_IGN makes libprof step aside.
 *
 * Unclaimed signals pass straight through (one atomic load). */
#ifndef PROF_PROFILER_SIGOWN_H
#define PROF_PROFILER_SIGOWN_H

#include <signal.h>

#include "arch/arch.h"

enum { PROF__ROLE_NONE = 0, PROF__ROLE_SAMPLING, PROF__ROLE_ENDING };

/* libc's own sigaction, never libprof's. AS-safe, thread-safe. */
PROF__SIGSAFE PROF__HIDDEN int prof__sys_sigaction(int sig,
                                                   const struct sigaction *sa,
                                                   struct sigaction *old);

/* The disposition as the program sees it: its "want" if sig is claimed,
 * else the kernel's. Thread-safe, not AS-safe. */
PROF__HIDDEN int prof__sigown_view(int sig, struct sigaction *out);

/* Installs ours for sig in role; the program's view (want) is kept if sig
 * was already claimed (a fork child's session), else taken from the
 * kernel. Returns 0 or -errno. Thread-safe. The _locked form is for
 * prof__trigger_taken, which runs under the ownership lock. */
PROF__HIDDEN int prof__sigown_claim(int sig, int role,
                                    const struct sigaction *ours);
PROF__HIDDEN int prof__sigown_claim_locked(int sig, int role,
                                           const struct sigaction *ours);

/* Gives sig back: the kernel gets the program's want again (a sampling
 * signal passes through SIG_IGN first, discarding pending instances).
 * No-op if not claimed. Thread-safe. */
PROF__HIDDEN void prof__sigown_release(int sig);

/* Role of sig now (lock-free). AS-safe. */
PROF__SIGSAFE PROF__HIDDEN int prof__sigown_role(int sig);

/* The signal mask the program's thread had when it called sigaction
 * (the call runs with every signal blocked); valid during
 * prof__trigger_taken, under the ownership lock. */
PROF__HIDDEN extern sigset_t prof__sigown_caller_mask;

/* Implemented by trigger.c: the program just installed a disposition for
 * the sampling signal sig. Called under the ownership lock with every
 * signal blocked; moves or stops the trigger before returning. */
PROF__HIDDEN void prof__trigger_taken(int sig);

#endif
