/* The merge rule (docs/design.md, "The context slice and the merge"),
 * innermost to outermost:
 *
 *   for k = K-1 down to 0:
 *     above = native frames not yet emitted whose sp < e[k].sp
 *     NATIVE record:  emit above, then the managed frames of e[k].context
 *     ACTIVATION record (found in the runtime's own structures; sp is a
 *                     marker inside the native frame running it): as
 *                     NATIVE, but that frame, the last of above, is dropped
 *     MANAGED record: if innermost, emit the managed frames of "now";
 *                     drop above (the interpreter's internals)
 *   emit the remaining native frames
 *
 * It only needs stack pointers and records, so a slice built by a runtime
 * from its own structures merges the same way as one from the crossing
 * functions. */
#include "profiler/stack.h"
#include "unwind/range.h"

struct prof__emitter {
  struct prof__rawframe *out;
  int n, max, cut;
};

static void prof__emit(struct prof__emitter *e, uint64_t pc, uint32_t id,
                       uint32_t kind) {
  if (e->n == e->max) {
    e->cut = 1;
    return;
  }
  e->out[e->n++] = (struct prof__rawframe){pc, id, kind};
}

static void prof__emit_native(struct prof__emitter *e, const uint64_t *pcs,
                              int from, int to) {
  for (int i = from; i < to; i++)
    prof__emit(e, pcs[i], PROF__NO_MODULE,
               i == 0 ? PROF__RAW_LEAF : PROF__RAW_CALL);
}

/* A record's PCs are read only when they lie inside the copied ones, so
 * a corrupt record cannot send the merge outside the sample. */
static void prof__emit_managed(struct prof__emitter *e,
                               const struct prof__sample *smp, int k) {
  if (!prof__range_in(smp->tb_off[k], smp->tb_len[k], 0, smp->nmpcs) ||
      smp->nmpcs > PROF__SAMPLE_MPCS_MAX) {
    e->cut = 1;
    return;
  }
  const uintptr_t *pcs = smp->mpcs + smp->tb_off[k];
  for (int i = 0; i < smp->tb_len[k]; i++)
    prof__emit(e, pcs[i], (uint32_t)smp->slice[k].runtime,
               PROF__RAW_MANAGED);
}

int prof__merge(const struct prof__sample *smp, const uint64_t *pcs,
                const uint64_t *sps, int n, int keep_internals,
                struct prof__rawframe *out, int max, int *cut) {
  struct prof__emitter e = {out, 0, max, 0};
  int next = 0; /* first native frame not yet emitted or dropped */
  int nslice = smp->nslice;
  if (nslice > PROF__SAMPLE_SLICE_MAX) { /* corrupt: keep what exists */
    nslice = PROF__SAMPLE_SLICE_MAX;
    e.cut = 1;
  }
  for (int k = nslice - 1; k >= 0; k--) {
    const struct prof__crossing *rec = &smp->slice[k];
    int above = next;
    while (above < n && sps[above] < rec->sp)
      above++;
    if (rec->kind == PROF__CROSS_NATIVE) {
      prof__emit_native(&e, pcs, next, above);
      prof__emit_managed(&e, smp, k);
    } else if (rec->kind == PROF__CROSS_ACTIVATION) {
      /* the last frame below the marker holds it: the interpreter's */
      int holder = above > next && !keep_internals ? 1 : 0;
      prof__emit_native(&e, pcs, next, above - holder);
      prof__emit_managed(&e, smp, k);
    } else {
      if (k == nslice - 1)
        prof__emit_managed(&e, smp, k);
      if (keep_internals)
        prof__emit_native(&e, pcs, next, above);
    }
    next = above;
  }
  /* Without the outer records, the rest of the native stack may hold
   * interpreter frames of activations we cannot place: cut it. */
  if (smp->flags & PROF__SAMPLE_SLICE_OUTER)
    e.cut = 1;
  else
    prof__emit_native(&e, pcs, next, n);
  *cut = e.cut;
  return e.n;
}
