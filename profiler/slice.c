/* The context slice: the crossing functions (host side) and its capture
 * into a sample (signal-handler side). See DESIGN.md, "The context slice".
 *
 * The crossing functions are noinline on purpose: the stack pointer they
 * record is their own canonical frame address, i.e. the caller's stack
 * pointer at the crossing call, which the merge compares against. */
#include <pthread.h>
#include <stdlib.h>

#include "profiler/runtime.h"
#include "profiler/slice.h"
#include "profiler/stats.h"
#include "profiler/thread.h"

__thread struct prof__tls prof__tls __attribute__((tls_model("initial-exec")));

struct prof__stats prof__stats;

static pthread_key_t prof__slice_key;
static pthread_once_t prof__slice_once = PTHREAD_ONCE_INIT;

/* Runs at thread exit: unpublish first, so a signal arriving while the
 * memory is freed sees no slice rather than freed memory. */
static void prof__slice_free(void *p) {
  prof__tls.slice = NULL;
  atomic_signal_fence(memory_order_seq_cst);
  free(p);
}

static void prof__slice_key_init(void) {
  pthread_key_create(&prof__slice_key, prof__slice_free);
}

static __attribute__((noinline)) struct prof__slice *prof__slice_alloc(void) {
  pthread_once(&prof__slice_once, prof__slice_key_init);
  struct prof__slice *s = calloc(1, sizeof(*s));
  if (!s) {
    PROF__COUNT(slice_nomem);
    return NULL;
  }
  pthread_setspecific(prof__slice_key, s);
  atomic_signal_fence(memory_order_seq_cst);
  prof__tls.slice = s;
  return s;
}

static inline struct prof__slice *prof__slice_get(void) {
  struct prof__slice *s = prof__tls.slice;
  return __builtin_expect(s != NULL, 1) ? s : prof__slice_alloc();
}

static inline void prof__slice_push(uint32_t kind, int runtime, uintptr_t sp,
                                    uintptr_t context) {
  struct prof__slice *s = prof__tls.slice;
  uint32_t n = s->len;
  s->rec[n] = (struct prof__crossing){kind, runtime, sp, context};
  atomic_signal_fence(memory_order_release);
  s->len = n + 1;
}

/* Pops the top record (or one overflowed push) and returns it by value;
 * .kind == 0 means there was nothing to pop or it was not recorded. */
static inline struct prof__crossing prof__slice_pop(struct prof__slice *s,
                                                    uint32_t kind,
                                                    int runtime) {
  struct prof__crossing r = {0, 0, 0, 0};
  if (s->overflow) {
    s->overflow--;
    return r;
  }
  uint32_t n = s->len;
  if (n == 0) {
    PROF__COUNT(unmatched);
    return r;
  }
  r = s->rec[n - 1];
  s->len = n - 1;
  atomic_signal_fence(memory_order_seq_cst);
  int want = prof__runtime_get(runtime) ? runtime : -1;
  if (r.kind != kind || r.runtime != want) {
    PROF__COUNT(mismatched);
    s->tainted = n - 1 > 0;
  } else if (n - 1 == 0) {
    s->tainted = 0;
  }
  return r;
}

/* Returns the slice if a record may be pushed; counts why not otherwise. */
static inline struct prof__slice *prof__slice_room(void) {
  struct prof__slice *s = prof__slice_get();
  if (s && __builtin_expect(s->len == PROF__SLICE_CAP, 0)) {
    s->overflow++;
    PROF__COUNT(overflow);
    return NULL;
  }
  return s;
}

static inline int prof__checked_id(int runtime,
                                   const struct prof__runtime **rt) {
  *rt = prof__runtime_get(runtime);
  if (__builtin_expect(*rt == NULL, 0)) {
    PROF__COUNT(bad_runtime);
    return -1;
  }
  return runtime;
}

__attribute__((noinline)) void prof_enter_managed(int runtime) {
  uintptr_t sp = PROF__ARCH_CALLER_SP();
  const struct prof__runtime *rt;
  if (prof__slice_room())
    prof__slice_push(PROF__CROSS_MANAGED, prof__checked_id(runtime, &rt), sp,
                     0);
}

__attribute__((noinline)) void prof_enter_native(int runtime) {
  uintptr_t sp = PROF__ARCH_CALLER_SP();
  const struct prof__runtime *rt;
  if (!prof__slice_room())
    return; /* no record, so no context to release later either */
  int id = prof__checked_id(runtime, &rt);
  struct prof_context_arg arg = {0};
  if (rt && rt->context)
    rt->context(&arg);
  prof__slice_push(PROF__CROSS_NATIVE, id, sp, arg.context);
}

void prof_leave_managed(int runtime) {
  struct prof__slice *s = prof__tls.slice;
  if (!s) {
    PROF__COUNT(unmatched);
    return;
  }
  prof__slice_pop(s, PROF__CROSS_MANAGED, runtime);
}

void prof_leave_native(int runtime) {
  struct prof__slice *s = prof__tls.slice;
  if (!s) {
    PROF__COUNT(unmatched);
    return;
  }
  struct prof__crossing r = prof__slice_pop(s, PROF__CROSS_NATIVE, runtime);
  /* Release through the runtime that made the context, even on a
   * mismatched leave, so every context is released exactly once. */
  const struct prof__runtime *rt = prof__runtime_get(r.runtime);
  if (r.kind == PROF__CROSS_NATIVE && r.context && rt && rt->context) {
    struct prof_context_arg arg = {r.context};
    rt->context(&arg);
  }
}

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
  if (!s)
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
