/* Process-wide counters. Updated with relaxed atomics from the signal
 * handler and the crossing functions; reset when a session starts. */
#ifndef PROF_SIGPATH_STATS_H
#define PROF_SIGPATH_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#include "arch/arch.h"

struct prof__stats {
  _Atomic uint64_t taken;         /* handler entries with a session       */
  _Atomic uint64_t dropped_ns;    /* weight of samples the ring refused   */
  _Atomic uint64_t truncated;     /* samples kept but cut (collector)     */
  _Atomic uint64_t unwind_failed; /* unwinds that stopped early           */
  _Atomic uint64_t unmatched;     /* leave without enter                  */
  _Atomic uint64_t overflow;      /* enters beyond the slice capacity     */
  _Atomic uint64_t mismatched;    /* leave of another kind/runtime         */
  _Atomic uint64_t bad_runtime;   /* crossing with an unregistered id     */
  _Atomic uint64_t slice_nomem;   /* slice allocation failed              */
};

PROF__HIDDEN extern struct prof__stats prof__stats;

#define PROF__COUNT(field) \
  atomic_fetch_add_explicit(&prof__stats.field, 1, memory_order_relaxed)

#endif
