/* CPython 3.11 support, collector side: detection at session start, and
 * turning the handler's raw Python frames (sigpath/python.h) into named
 * locations. docs/python.md describes the feature. */
#ifndef PROF_PROFILER_PYTHON_H
#define PROF_PROFILER_PYTHON_H

#include <stddef.h>

#include "profiler/stack.h"

/* With `enable` (LIBPROF_PYTHON, default 1), detects a CPython 3.11
 * interpreter in this process (its exported symbols, version and runtime
 * size), the first time one is found registers the runtime "python" and
 * hooks code deallocation, and turns the handler's walk on; without,
 * turns it off. Another Python version
 * gets one line on stderr and native-only profiling; a process that is not
 * Python is left alone. Thread-safe; not AS-safe. Called at session
 * start, before the signal is armed. */
PROF__HIDDEN void prof__python_setup(int enable);

/* Rewrites a merged stack in place: each Python frame's two PCs become one
 * frame whose PC names a location (code object read now, while the stamp
 * the handler saw still matches, else marked as gone), and, unless
 * keep_internals, the interpreter's own native frames between the
 * innermost and the outermost Python frame are dropped (call machinery,
 * builtins' internals: its eval frames are already gone by the merge). Returns the new frame count.
 * Collector thread only; not AS-safe. */
PROF__HIDDEN int prof__python_resolve(struct prof__rawframe *raw, int m,
                                      int keep_internals);

/* The line of code unit lasti (-1: not started, the first line) of a code
 * object with line table t (n bytes of a 3.11 co_linetable, the format of
 * CPython's Objects/locations.md: entries of (b & 7) + 1 code units with a
 * line delta by kind b >> 3 & 15) and first line `first`; 0 if the
 * instruction has no line. Pure; thread-safe. */
PROF__HIDDEN int prof__python_line(const unsigned char *t, size_t n, int first,
                                   int lasti);

#endif
