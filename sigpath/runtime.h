/* The registry of managed runtimes (prof_runtime_register and
 * prof_runtime_unregister).
 *
 * A slot is written under a mutex and published with a release store of
 * `live`; the signal handler reads it with an acquire load and no lock.
 * Unregistering clears `live`, then waits until no signal handler is
 * running (prof__handlers_running), so no handler can still be inside or
 * about to call the traceback hook; the collector then symbolizes the
 * runtime's PCs seen so far (runtime_retire.c) before the hooks are
 * dropped. A slot unregistered while a session runs keeps its name until
 * that session ends (its frames are in the session's stacks), and is
 * reused only after. */
#ifndef PROF_SIGPATH_RUNTIME_H
#define PROF_SIGPATH_RUNTIME_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"
#include "libprof.h"

enum prof__runtime_state {
  PROF__RT_FREE = 0,
  PROF__RT_LIVE = 1,
  PROF__RT_RETIRED = 2 /* unregistered during the running session */
};

struct prof__runtime {
  _Atomic int live;
  int state; /* enum prof__runtime_state, under the registry mutex */
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
 * crossing functions call it on every crossing. PROF__SIGSAFE.
 * The load is seq_cst (a plain load on x86-64, ldar on aarch64, as an
 * acquire load would be): with the handler's seq_cst increment of
 * prof__handlers_running before it, and unregister's seq_cst store of
 * `live` before its reads of that count, one of the two sees the other. */
static inline const struct prof__runtime *prof__runtime_get(int id) {
  if ((unsigned)id >= PROF_MAX_RUNTIMES)
    return NULL;
  const struct prof__runtime *r = &prof__runtimes[id];
  return atomic_load(&r->live) ? r : NULL;
}

#endif
