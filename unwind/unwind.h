/* Native stacks: captured in the signal handler, unwound in the collector.
 *
 * Why two halves: on this platform libunwind's local unwinder is not safe
 * in a signal handler (dl_iterate_phdr and its cache lock deadlock against
 * dlopen/dlclose on other threads; unw_backtrace allocates on new threads).
 * So the handler only copies registers and the top of the stack into the
 * sample (prof__stack_capture), and the collector unwinds that snapshot
 * later with libunwind's remote API, whose memory accessor reads the
 * snapshot and the modules' private images (modules.h). */
#ifndef PROF_UNWIND_UNWIND_H
#define PROF_UNWIND_UNWIND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "arch/arch.h"
#include "sigpath/sample.h"
#include "unwind/modules.h"
#include "unwind/range.h"

enum prof__unwind_mode {
  PROF__UNWIND_DWARF = 0, /* DWARF CFI: correct without frame pointers */
  PROF__UNWIND_FP = 1     /* frame-pointer chain: fast, needs -fno-omit */
};

/* Result of one unwind. */
enum prof__unwind_status {
  PROF__UNWIND_COMPLETE = 0, /* reached the outermost frame              */
  PROF__UNWIND_DEPTH = 1,    /* stopped at the frame limit              */
  PROF__UNWIND_FAILED = 2    /* stopped early: no unwind info, snapshot
                                too short, corrupt stack                */
};

struct prof__unwinder;

/* Creates an unwinder over ms (not owned). DWARF mode loads libunwind with
 * dlopen(RTLD_LOCAL); returns PROF_EUNWIND if that fails, PROF_ENOMEM.
 * Collector thread only. */
PROF__HIDDEN int prof__unwinder_new(struct prof__unwinder **out,
                                    enum prof__unwind_mode mode,
                                    struct prof__modules *ms);
PROF__HIDDEN void prof__unwinder_free(struct prof__unwinder *u);

/* Unwinds a sample's snapshot. Writes at most max frames, innermost
 * first: pcs[i] is the PC (frame 0: the interrupted PC; others: return
 * addresses) and sps[i] that frame's stack pointer (for i > 0 the CFA of
 * frame i-1). Returns the frame count (>= 1) and sets *status. */
PROF__HIDDEN int prof__unwind(struct prof__unwinder *u,
                              const struct prof__sample *smp, uint64_t *pcs,
                              uint64_t *sps, int max,
                              enum prof__unwind_status *status);

/* DWARF mode answers most samples from a per-PC rule cache derived from
 * libunwind (unwind/rules.h) and hands the rest to libunwind; the frames
 * are libunwind's either way. Off, every sample goes through libunwind:
 * the reference that tests and benchmarks compare against. On by default
 * when the rule prober works. Collector thread only. */
PROF__HIDDEN void prof__unwinder_set_fast(struct prof__unwinder *u, int on);

/* Counters of one unwinder, for tests and benchmarks. */
struct prof__unwind_stats {
  uint64_t fast;     /* samples finished by the rule cache            */
  uint64_t fallback; /* samples the rule cache handed to libunwind    */
  uint64_t slow;     /* samples unwound by libunwind (incl. fallback) */
  uint64_t probes;   /* rules derived from libunwind                  */
  uint64_t rules;    /* rules cached now                              */
  uint64_t fp_fallback; /* FP mode: chains that broke, unwound by DWARF */
};
PROF__HIDDEN void prof__unwinder_stats(const struct prof__unwinder *u,
                                       struct prof__unwind_stats *out);

/* Frame-pointer walk of the snapshot; used by prof__unwind in FP mode and
 * available to tests. Same contract as prof__unwind. */
PROF__HIDDEN int prof__unwind_fp(const struct prof__sample *smp,
                                 uint64_t *pcs, uint64_t *sps, int max,
                                 enum prof__unwind_status *status);

/* Reads 8 bytes of the snapshot at addr; 0, or -1 if outside it (any
 * addr, even near 2^64: the check cannot wrap). */
static inline int prof__snapshot_read(const struct prof__sample *smp,
                                      uint64_t addr, uint64_t *val) {
  if (!prof__range_in(addr, 8, smp->stack_addr, smp->stack_len))
    return -1;
  __builtin_memcpy(val, smp->stack + (addr - smp->stack_addr), 8);
  return 0;
}

#endif
