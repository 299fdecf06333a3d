/* Where libprof's summary and messages go: a private duplicate of the
 * stderr the session started with, or the file named by LIBPROF_LOG.
 * Programs close stderr at exit (coreutils, xz) or reuse fd 2, so the
 * summary never goes through fd 2 at the end. The descriptor sits high
 * (from 1000, or half the descriptor limit below that), close-on-exec,
 * and its identity is checked before every write, since the program may
 * close every descriptor and reuse the number.
 * A prof__log belongs to one session: open/check/close under its lock
 * or in its monitor; prof__log_write is AS-safe (fcntl, fstat, write). */
#ifndef PROF_PROFILER_LOG_H
#define PROF_PROFILER_LOG_H

#include <stdint.h>
#include <sys/types.h>

#include "arch/arch.h"

struct prof__log {
  int fd;       /* -1: none                          */
  int is_dup;   /* a duplicate of stderr (no LIBPROF_LOG) */
  dev_t dev;    /* identity when opened              */
  ino_t ino;
  uint64_t gone_since_ns; /* monitor: fd 2 differs since (0: it does not) */
  char path[4096];        /* LIBPROF_LOG, reopened if fd was taken from us */
};

/* Opens the channel: path (LIBPROF_LOG) appended to, or a duplicate of
 * fd 2 when path is NULL or empty. Returns 0, or -errno for a path that
 * cannot be opened (a missing stderr is not an error: nothing is shown). */
PROF__HIDDEN int prof__log_open(struct prof__log *l, const char *path);

/* Writes line if the descriptor is still ours; else, for LIBPROF_LOG,
 * to the file opened again by name (a daemon closes every descriptor);
 * for a duplicate, to fd 2 if fd 2 is still the same file; else nowhere. */
PROF__SIGSAFE PROF__HIDDEN void prof__log_write(const struct prof__log *l,
                                              const char *line);

/* A duplicate of a pipe or socket keeps the reader from seeing end of
 * file after the program closed or replaced its stderr (a daemon
 * detaching from `$(...)`): the monitor calls this (now_ns: monotonic
 * time) to let it go once fd 2 has been another file for a second. Not
 * at once: programs close stderr at exit (coreutils) and libprof's own
 * exit handler, which writes the summary, comes right after. */
PROF__HIDDEN void prof__log_check(struct prof__log *l, uint64_t now_ns);

PROF__HIDDEN void prof__log_close(struct prof__log *l);

#endif
