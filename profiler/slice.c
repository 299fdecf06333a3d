/* The context slice, host side: the crossing functions. Its capture into
 * a sample is sigpath/slice_capture.c; docs/design.md, "The context
 * slice", gives the publication order both rely on.
 *
 * The crossing functions are noinline on purpose: the stack pointer they
 * record is their own canonical frame address, i.e. the caller's stack
 * pointer at the crossing call, which the merge compares against. */
#include <pthread.h>
#include <stdlib.h>

#include "sigpath/runtime.h"
#include "sigpath/slice.h"
#include "sigpath/stats.h"
#include "sigpath/thread.h"

static pthread_key_t prof__slice_key;
static pthread_once_t prof__slice_once = PTHREAD_ONCE_INIT;

/* Runs at thread exit: unpublish first, so a signal arriving while the
 * memory is freed sees no slice rather than freed memory. */
static void prof__slice_free(void *p) {
  prof__tls.slice = &prof__no_slice;
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
  prof__thread_note_stack(); /* crossing threads are worth a fast copy */
  atomic_signal_fence(memory_order_seq_cst);
  prof__tls.slice = s;
  return s;
}

static inline struct prof__slice *prof__slice_get(void) {
  struct prof__slice *s = prof__tls.slice;
  return s != &prof__no_slice ? s : prof__slice_alloc();
}

/* Kind and runtime of a record as one word, compared in one go. */
static inline uint64_t prof__kind_runtime(uint32_t kind, int runtime) {
  return (uint64_t)(uint32_t)runtime << 32 | kind;
}

static inline void prof__slice_push(struct prof__slice *s, uint32_t kind,
                                    int runtime, uintptr_t sp,
                                    uintptr_t context) {
  uint32_t n = s->len;
  s->rec[n] = (struct prof__crossing){kind, runtime, sp, context};
  atomic_signal_fence(memory_order_release);
  s->len = n + 1;
}

/* Everything unusual about an enter: the thread's first crossing, a full
 * slice, an unregistered runtime id. Out of line so that the common path
 * stays a handful of instructions. */
static __attribute__((noinline, cold)) void
prof__enter_slow(uint32_t kind, int runtime, uintptr_t sp) {
  struct prof__slice *s = prof__slice_get();
  if (!s)
    return;
  if (s->len == PROF__SLICE_CAP) {
    s->overflow++; /* no record, so no context to release later either */
    PROF__COUNT(overflow);
    return;
  }
  const struct prof__runtime *rt = prof__runtime_get(runtime);
  struct prof_context_arg arg = {0};
  if (!rt) {
    PROF__COUNT(bad_runtime);
    runtime = -1; /* recorded anyway, so that its leave balances */
  } else if (kind == PROF__CROSS_NATIVE && rt->context) {
    rt->context(&arg);
  }
  prof__slice_push(s, kind, runtime, sp, arg.context);
}

/* Everything unusual about a leave: nothing to pop, an overflowed enter,
 * a record of another kind or runtime, a tainted slice. The pop itself
 * was not done yet. */
static __attribute__((noinline, cold)) void
prof__leave_slow(struct prof__slice *s, uint32_t kind, int runtime) {
  if (s == &prof__no_slice || (s->len == 0 && s->overflow == 0)) {
    PROF__COUNT(unmatched);
    return;
  }
  if (s->overflow) {
    s->overflow--;
    return;
  }
  uint32_t n = s->len - 1;
  struct prof__crossing r = s->rec[n];
  s->len = n;
  atomic_signal_fence(memory_order_seq_cst);
  int want = prof__runtime_get(runtime) ? runtime : -1;
  if (r.kind != kind || r.runtime != want) {
    PROF__COUNT(mismatched);
    s->tainted = n > 0;
  } else if (n == 0) {
    s->tainted = 0;
  }
  /* Release through the runtime that made the context, even on a
   * mismatched leave, so every context is released exactly once. */
  const struct prof__runtime *rt = prof__runtime_get(r.runtime);
  if (r.kind == PROF__CROSS_NATIVE && r.context && rt && rt->context) {
    struct prof_context_arg arg = {r.context};
    rt->context(&arg);
  }
}

/* Overflow count and taint flag, adjacent in the slice, in one load. */
static inline uint64_t prof__anomalies(const struct prof__slice *s) {
  uint64_t v;
  __builtin_memcpy(&v, (const void *)&s->overflow, sizeof(v));
  return v;
}

/* The fast path of a leave: the top record matches. Returns it popped,
 * or NULL after handing the unusual cases to prof__leave_slow. */
static inline struct prof__crossing *prof__leave_fast(uint32_t kind,
                                                      int runtime) {
  struct prof__slice *s = prof__tls.slice;
  uint32_t n = s->len;
  uint64_t top = 0;
  if (n) /* the sentinel's records are zero: kind 0 never matches */
    __builtin_memcpy(&top, &s->rec[n - 1].kind, sizeof(top));
  if (__builtin_expect(top != prof__kind_runtime(kind, runtime) ||
                           prof__anomalies(s) != 0, 0)) {
    prof__leave_slow(s, kind, runtime);
    return NULL;
  }
  s->len = n - 1;
  atomic_signal_fence(memory_order_seq_cst);
  return &s->rec[n - 1];
}

/* The fast path of an enter: a slice with room (the sentinel has none)
 * and a live runtime. */
static inline struct prof__slice *prof__enter_fast(int runtime) {
  struct prof__slice *s = prof__tls.slice;
  if (__builtin_expect(s->len == PROF__SLICE_CAP ||
                           !prof__runtime_live(runtime), 0))
    return NULL;
  return s;
}

__attribute__((noinline)) void prof_enter_managed(int runtime) {
  uintptr_t sp = PROF__ARCH_CALLER_SP();
  struct prof__slice *s = prof__enter_fast(runtime);
  if (s)
    prof__slice_push(s, PROF__CROSS_MANAGED, runtime, sp, 0);
  else
    prof__enter_slow(PROF__CROSS_MANAGED, runtime, sp);
}

/* The record is written before the context hook runs, and the hook
 * writes its value straight into the record's context field (a
 * struct prof_context_arg has exactly that layout). The record is not
 * published until len grows, so a signal meanwhile does not see it. */
__attribute__((noinline)) void prof_enter_native(int runtime) {
  uintptr_t sp = PROF__ARCH_CALLER_SP();
  struct prof__slice *s = prof__enter_fast(runtime);
  if (!s) {
    prof__enter_slow(PROF__CROSS_NATIVE, runtime, sp);
    return;
  }
  uint32_t n = s->len;
  struct prof__crossing *rec = &s->rec[n];
  *rec = (struct prof__crossing){PROF__CROSS_NATIVE, runtime, sp, 0};
  void (*context)(void *) = prof__runtimes_context[runtime];
  if (context)
    context(&rec->context);
  atomic_signal_fence(memory_order_release);
  s->len = n + 1;
}

void prof_leave_managed(int runtime) {
  prof__leave_fast(PROF__CROSS_MANAGED, runtime);
}

/* The popped record's slot is dead but only this thread reuses it, so the
 * release hook may read and clear its context field in place. */
void prof_leave_native(int runtime) {
  struct prof__crossing *r = prof__leave_fast(PROF__CROSS_NATIVE, runtime);
  if (r && r->context) {
    void (*context)(void *) = prof__runtimes_context[runtime];
    if (context)
      context(&r->context);
  }
}
