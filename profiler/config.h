/* Session configuration: prof_options merged with LIBPROF_* variables. */
#ifndef PROF_PROFILER_CONFIG_H
#define PROF_PROFILER_CONFIG_H

#include <stddef.h>
#include <sys/types.h>

#include "arch/arch.h"
#include "libprof.h"

enum prof__mode {
  PROF__MODE_CPU = 0, /* per-thread perf_event task clock            */
  PROF__MODE_TIMER,   /* per-thread POSIX CPU-clock timer            */
  PROF__MODE_ITIMER,  /* process-wide setitimer(ITIMER_PROF)         */
  PROF__MODE_WALL     /* sampler thread signals every thread         */
};

struct prof__config {
  char out[4096];      /* output path, %p expanded                   */
  int hz;
  enum prof__mode mode;
  unsigned formats;    /* PROF__FMT_* mask                           */
  int max_depth;
  int signal;
  int quiet;
  int unwind;          /* enum prof__unwind_mode                     */
  size_t stack_bytes;  /* bytes of stack copied per sample           */
  int collapsed_ns;    /* collapsed weights: 1 = ns, 0 = counts      */
  int keep_internals;  /* keep interpreter frames under managed code */
  int python;          /* CPython 3.11 support (docs/python.md)       */
  int jitter;          /* LIBPROF_JITTER: random periods (default 1)  */
  uint64_t seed;       /* LIBPROF_SEED, else drawn from the clock     */
  int fork_stop;       /* LIBPROF_FORK=stop: a fork child does not profile */
  int out_from_env;    /* the path came from LIBPROF_OUT, not prof_options */
  char out_pattern[4096]; /* output path as given, %p not expanded     */
  char log[4096];      /* LIBPROF_LOG: summary file; "" = stderr      */
  char debug_dirs[4096]; /* LIBPROF_DEBUG_DIRS: extra debug roots, or "" */
  char cache_dir[4096];  /* LIBPROF_CACHE_DIR: on-disk symbol cache, or "" */
};

PROF__HIDDEN extern const char *const prof__mode_names[];

/* Expands %p (to pid) and %% in an output path pattern into out. Returns
 * 0, or -1 if it does not fit (out then holds what fitted). */
PROF__HIDDEN int prof__config_expand_out(const char *pattern, pid_t pid,
                                         char *out, size_t len);

/* Fills c from opts (may be NULL) and the environment (secure_getenv).
 * On a bad value writes one line naming the variable and what it accepts
 * into err and returns PROF_ECONFIG (or PROF_EOUTPUT for an output path
 * refused by prof__config_check_out). An empty or unset output path
 * returns PROF_EINVAL. */
PROF__HIDDEN int prof__config_load(const struct prof_options *opts,
                                   struct prof__config *c, char *err,
                                   size_t errlen);

/* Refuses, before anything starts, an output c->out (already expanded,
 * e.g. a fork child's) that could not be written at exit or whose writing
 * would destroy something (see prof__export_check): returns 0, or
 * PROF_EOUTPUT with one line naming the variable in err. Not AS-safe. */
PROF__HIDDEN int prof__config_check_out(const struct prof__config *c,
                                        char *err, size_t errlen);

#endif
