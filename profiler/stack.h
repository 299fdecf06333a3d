/* Raw stacks: what the collector keeps per sample before symbolization.
 * A raw frame names a location without resolving it, so aggregation is
 * cheap and symbolization runs once per distinct location at the end. */
#ifndef PROF_PROFILER_STACK_H
#define PROF_PROFILER_STACK_H

#include <stdint.h>

#include "arch/arch.h"
#include "sigpath/sample.h"

enum prof__raw_kind {
  PROF__RAW_LEAF = 1,    /* native: the interrupted PC itself          */
  PROF__RAW_CALL = 2,    /* native: a return address (look up pc - 1)  */
  PROF__RAW_MANAGED = 3, /* managed: a runtime-defined PC              */
  PROF__RAW_TRUNCATED = 4 /* marker: outer frames are missing          */
};

#define PROF__NO_MODULE UINT32_MAX

struct prof__rawframe {
  uint64_t pc;
  uint32_t id;   /* native: module id or PROF__NO_MODULE; managed: runtime */
  uint32_t kind; /* enum prof__raw_kind */
};

/* Merges a sample's native frames (pcs/sps innermost first, from the
 * unwinder) with its slice records and managed PCs, by the merge rule
 * (profiler/merge.c),
 * into out (innermost first). Native frames get kind LEAF/CALL and id
 * PROF__NO_MODULE (the caller resolves modules). keep_internals keeps the
 * native frames between a MANAGED crossing and the managed code it ran
 * (the interpreter's own frames), which the rule normally drops.
 * Returns the frame count (<= max); sets *cut if frames did not fit or the
 * slice's outer records were missing. */
PROF__HIDDEN int prof__merge(const struct prof__sample *smp,
                             const uint64_t *pcs, const uint64_t *sps, int n,
                             int keep_internals, struct prof__rawframe *out,
                             int max, int *cut);

#endif
