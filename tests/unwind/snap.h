/* Real snapshots of this process's own threads, taken exactly as the
 * profiler's handler takes them (prof__arch_regs_from_ucontext, then
 * prof__stack_capture), for the unwinder's tests and benchmark. A SIGPROF
 * that arrives while a pool is installed fills its next slot, whoever
 * sent it: raise() for a known stack, tgkill() from another thread for
 * samples at arbitrary instructions. */
#ifndef PROF_TESTS_UNWIND_SNAP_H
#define PROF_TESTS_UNWIND_SNAP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "sigpath/sample.h"

/* ASan's redzones make every frame two to three times larger, and the
 * deepest test stack must still fit whole. */
#if defined(__SANITIZE_ADDRESS__)
#define SNAP_STACK_BYTES 65536
#else
#define SNAP_STACK_BYTES 16384
#endif

struct snap_pool {
  unsigned char *mem;
  size_t slot; /* bytes per sample, header and stack */
  uint32_t cap;
  _Atomic uint32_t n; /* slots claimed; may exceed cap (then dropped) */
};

/* 0, or -1 if the memory cannot be had. */
int snap_pool_init(struct snap_pool *p, uint32_t cap);
void snap_pool_free(struct snap_pool *p);
struct prof__sample *snap_get(const struct snap_pool *p, uint32_t i);
/* Samples actually held: min(n, cap). */
uint32_t snap_count(const struct snap_pool *p);

/* Routes SIGPROF to p (NULL: ignores it, so a late signal is harmless). */
void snap_install(struct snap_pool *p);

#endif
