/* Frame-pointer walk over a snapshot (LIBPROF_UNWIND=fp). Every load is
 * bounds-checked against the copied bytes, and the chain must move
 * strictly outward, so a corrupt frame pointer ends the walk instead of
 * looping or faulting. */
#include "unwind/unwind.h"

int prof__unwind_fp(const struct prof__sample *smp, uint64_t *pcs,
                    uint64_t *sps, int max, enum prof__unwind_status *status) {
  uint64_t fp = prof__arch_fp(&smp->regs);
  int n = 0;
  pcs[n] = prof__arch_pc(&smp->regs);
  sps[n++] = prof__arch_sp(&smp->regs);
  *status = PROF__UNWIND_COMPLETE;
  while (n < max) {
    uint64_t next_fp, ra;
    if (fp == 0)
      return n; /* the ABI marks the outermost frame with fp == 0 */
    /* The frame's sp (fp + 16) must lie above the previous frame's: for
     * frame 1 that is not implied by the chain, and rbp may hold any
     * value in code built without frame pointers. */
    if ((fp & 7) != 0 || fp > UINT64_MAX - 16 || fp + 16 <= sps[n - 1] ||
        prof__snapshot_read(smp, fp, &next_fp) != 0 ||
        prof__snapshot_read(smp, fp + PROF__ARCH_FP_RA_OFFSET, &ra) != 0) {
      *status = PROF__UNWIND_FAILED;
      return n;
    }
    if (ra == 0)
      return n;
    pcs[n] = ra;
    sps[n++] = fp + 16;
    if (next_fp != 0 && next_fp <= fp) {
      *status = PROF__UNWIND_FAILED;
      return n;
    }
    fp = next_fp;
  }
  *status = PROF__UNWIND_DEPTH;
  return n;
}
