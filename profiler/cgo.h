/* The preparation side of the cgo provider (sigpath/cgo.h has the
 * handler side and the design). One process-wide state, created by
 * prof_cgo_init and kept for the life of the process: the hooks may run
 * until the very end, including in a crash dump. */
#ifndef PROF_PROFILER_CGO_H
#define PROF_PROFILER_CGO_H

#include <pthread.h>

#include "profiler/symbolize.h"
#include "unwind/rules.h"

struct prof__cgo {
  /* Guards everything below (the module cache, libunwind's prober and
   * the symbolizer are single-threaded); the preparer thread and the
   * symbolizer share it. The hooks never take it. */
  pthread_mutex_t lock;
  struct prof__modules *ms;
  struct prof__unw_api api;
  struct prof__prober *prober;
  struct prof__natsym *ns;
  struct prof__cgo_sym_cache *syms; /* cgo_sym.c */
  void *stack;                      /* the symbolizer's private stack */
  size_t stack_len;
};

/* The state, or NULL before a successful prof_cgo_init. */
PROF__HIDDEN struct prof__cgo *prof__cgo_state(void);

/* Sets up the symbolizer's part of c (cache, private stack): 0 or
 * PROF_ENOMEM. Init only. (cgo_sym.c) */
PROF__HIDDEN int prof__cgo_sym_init(struct prof__cgo *c);

#endif
