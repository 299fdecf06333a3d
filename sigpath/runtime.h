/* The registry of managed runtimes (prof_runtime_register).
 *
 * Slots are written once under a mutex and published with a release store
 * of `live`; the signal handler reads them with an acquire load and no
 * lock. Slots are never reused, so a published slot never changes. */
#ifndef PROF_SIGPATH_RUNTIME_H
#define PROF_SIGPATH_RUNTIME_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"
#include "libprof.h"

struct prof__runtime {
  _Atomic int live;
  char name[64];
  void (*traceback)(void *);
  void (*context)(void *);
  void (*symbolizer)(void *);
};

PROF__HIDDEN extern struct prof__runtime prof__runtimes[PROF_MAX_RUNTIMES];

/* What the crossing functions need of a runtime, in two small tables
 * (written with the full slot): a bit per registered id, so that one test
 * checks both range and registration, and the context hooks. */
PROF__HIDDEN extern _Atomic uint32_t prof__runtimes_live;
PROF__HIDDEN extern void (*prof__runtimes_context[PROF_MAX_RUNTIMES])(void *);

static inline int prof__runtime_live(int id) {
  uint32_t live = atomic_load_explicit(&prof__runtimes_live,
                                       memory_order_acquire);
  return (unsigned)id < 32 && (live >> id & 1u);
}

/* The runtime with this id if registered, else NULL. Inline because the
 * crossing functions call it on every crossing. PROF__SIGSAFE. */
static inline const struct prof__runtime *prof__runtime_get(int id) {
  if ((unsigned)id >= PROF_MAX_RUNTIMES)
    return NULL;
  const struct prof__runtime *r = &prof__runtimes[id];
  return atomic_load_explicit(&r->live, memory_order_acquire) ? r : NULL;
}

#endif
