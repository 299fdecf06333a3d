/* The context slice, signal-handler side: copying the calling thread's
 * slice into a sample and running the runtimes' traceback hooks. */
#include <stdatomic.h>

#include "sigpath/runtime.h"
#include "sigpath/slice.h"
#include "sigpath/thread.h"

/* Calls one traceback hook into the sample's managed-PC budget. */
PROF__SIGSAFE static void prof__traceback(struct prof__sample *smp, int k,
                                          const struct prof__runtime *rt,
                                          uintptr_t context, void *uc) {
  uint32_t room = PROF__SAMPLE_MPCS_MAX - smp->nmpcs;
  uint32_t max = room < PROF__TRACEBACK_MAX ? room : PROF__TRACEBACK_MAX;
  uintptr_t *buf = &smp->mpcs[smp->nmpcs];
  smp->tb_off[k] = smp->nmpcs;
  smp->tb_len[k] = 0;
  if (max == 0) {
    smp->flags |= PROF__SAMPLE_MPCS_CUT;
    return;
  }
  buf[0] = 0; /* a hook that writes nothing yields no frames */
  struct prof_traceback_arg arg = {context, (uintptr_t)uc, buf, max};
  rt->traceback(&arg);
  uint32_t n = 0;
  while (n < max && buf[n] != 0)
    n++;
  if (n == max)
    smp->flags |= max == room ? PROF__SAMPLE_MPCS_CUT : PROF__SAMPLE_HOOK_CUT;
  smp->tb_len[k] = (uint16_t)n;
  smp->nmpcs = (uint16_t)(smp->nmpcs + n);
}

PROF__SIGSAFE void prof__slice_capture(struct prof__sample *smp, void *uc) {
  const struct prof__slice *s = prof__tls.slice;
  smp->nslice = 0;
  smp->nmpcs = 0;
  if (s == &prof__no_slice)
    return;
  uint32_t len = s->len;
  atomic_signal_fence(memory_order_acquire);
  uint32_t first = len > PROF__SAMPLE_SLICE_MAX ? len - PROF__SAMPLE_SLICE_MAX : 0;
  if (s->overflow || s->tainted)
    smp->flags |= PROF__SAMPLE_SLICE_CUT;
  if (first)
    smp->flags |= PROF__SAMPLE_SLICE_CUT | PROF__SAMPLE_SLICE_OUTER;
  for (uint32_t i = first; i < len; i++)
    smp->slice[i - first] = s->rec[i];
  smp->nslice = (uint16_t)(len - first);
  for (int k = smp->nslice - 1; k >= 0; k--) {
    const struct prof__crossing *e = &smp->slice[k];
    const struct prof__runtime *rt = prof__runtime_get(e->runtime);
    smp->tb_len[k] = 0;
    if (!rt) {
      smp->flags |= PROF__SAMPLE_BAD_RUNTIME;
      continue;
    }
    if (e->kind == PROF__CROSS_NATIVE)
      prof__traceback(smp, k, rt, e->context, uc);
    else if (k == smp->nslice - 1) /* running managed code right now */
      prof__traceback(smp, k, rt, 0, uc);
  }
}
