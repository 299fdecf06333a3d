/* The registry of managed runtimes (prof_runtime_register).
 *
 * Slots are written once under a mutex and published with a release store
 * of `live`; the signal handler reads them with an acquire load and no
 * lock. Slots are never reused, so a published slot never changes. */
#ifndef PROF_PROFILER_RUNTIME_H
#define PROF_PROFILER_RUNTIME_H

#include <stdatomic.h>

#include "arch/arch.h"
#include "libprof.h"

struct prof__runtime {
  _Atomic int live;
  char name[64];
  void (*traceback)(void *);
  void (*context)(void *);
  void (*symbolizer)(void *);
};

/* The runtime with this id if registered, else NULL. PROF__SIGSAFE. */
PROF__HIDDEN const struct prof__runtime *prof__runtime_get(int id);

#endif
