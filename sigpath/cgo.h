/* The cgo traceback provider (docs/go.md), the part shared between the
 * signal handler and its preparation.
 *
 * Go calls prof_cgo_traceback inside its signal handler, on the 32 KiB
 * signal stack, for every signal that reaches a thread in a cgo call, and
 * prof_cgo_context at every C->Go callback. Neither may lock, allocate or
 * call libunwind (whose step takes a global lock and calls
 * dl_iterate_phdr, which deadlocks against a dlopen in progress). So
 * everything the walk needs is prepared outside the handler, by a thread
 * in profiler/cgo_prep.c, and published as one immutable table:
 *
 *  - rule ranges: [lo, hi) -> the unwind rule libunwind gives every PC in
 *    it (probed byte by byte per function, unwind/rules.h), sorted;
 *  - Go ranges: the executable's code without any FDE, which is Go's (its
 *    functions carry no .eh_frame): the walk stops there, where the C
 *    stack ends and Go's own traceback takes over.
 *
 * Publication is RCU-like: the preparer builds a new table, stores its
 * pointer (release), and frees the old one only once it has seen no
 * reader in flight after the store. A reader counts itself in before it
 * loads the pointer and out when done. A PC the table does not know yet
 * is put in a lossy miss ring for the preparer and stepped by the frame
 * pointer chain meanwhile. */
#ifndef PROF_SIGPATH_CGO_H
#define PROF_SIGPATH_CGO_H

#include <stdatomic.h>
#include <stdint.h>

#include "arch/arch.h"
#include "sigpath/unwind_rule.h"

struct prof__cgo_span {
  uint64_t lo, hi; /* absolute addresses */
};

struct prof__cgo_range {
  uint64_t lo, hi; /* first, as in a span: one search serves both */
  struct prof__rule rule;
  uint32_t module; /* the preparer's: whose unload drops the range */
};

struct prof__cgo_table {
  const struct prof__cgo_range *ranges; /* sorted, disjoint */
  uint32_t nranges;
  const struct prof__cgo_span *go; /* sorted, disjoint */
  uint32_t ngo;
};

/* The published table (NULL before prof_cgo_init) and the readers in
 * flight. Defined in cgo_traceback.c. */
PROF__HIDDEN extern _Atomic(const struct prof__cgo_table *) prof__cgo_table;
PROF__HIDDEN extern _Atomic uint32_t prof__cgo_readers;

/* The miss ring: PCs the walk found in no range. Lossy by design (a
 * slot overwritten before the preparer reads it is simply missed again
 * later); 0 marks an empty slot. */
#define PROF__CGO_MISSES 256u
PROF__HIDDEN extern _Atomic uint64_t prof__cgo_miss[PROF__CGO_MISSES];
PROF__HIDDEN extern _Atomic uint32_t prof__cgo_miss_head;

/* Context records (prof_cgo_context): the registers of the frame that
 * called into Go, live and unchanged while the callback runs. A fixed
 * pool, claimed by CAS on `used`; the Context value is a record's address
 * and 0 when the pool is exhausted (Go then shows no C frames between). */
struct prof__cgo_ctx {
  _Atomic uint32_t used; /* 0 free, 2 being written, 1 recorded */
  uint64_t pc, sp, fp; /* pc: a return address */
};
#define PROF__CGO_CTXS 4096u
PROF__HIDDEN extern struct prof__cgo_ctx prof__cgo_ctxs[PROF__CGO_CTXS];

/* The rule for the PC at (lookup address) at, in table t, or NULL.
 * PROF__SIGSAFE. */
PROF__HIDDEN const struct prof__rule *
prof__cgo_rule(const struct prof__cgo_table *t, uint64_t at);
/* Whether at lies in Go code (a Go range of t). PROF__SIGSAFE. */
PROF__HIDDEN int prof__cgo_in_go(const struct prof__cgo_table *t,
                                 uint64_t at);

#endif
