/* The cgo traceback and context hooks (sigpath/cgo.h, docs/go.md): the C
 * stack walk that Go runs in its signal handler, by the prepared rule
 * table. Everything here is async-signal-safe: plain loads, atomics, and
 * process_vm_readv to test a stack page before the first load from it. */
#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>

#include "libprof.h"
#include "sigpath/cgo.h"

_Atomic(const struct prof__cgo_table *) prof__cgo_table;
_Atomic uint32_t prof__cgo_readers;
_Atomic uint64_t prof__cgo_miss[PROF__CGO_MISSES];
_Atomic uint32_t prof__cgo_miss_head;
struct prof__cgo_ctx prof__cgo_ctxs[PROF__CGO_CTXS];

#define PROF__CGO_VPAGES 2 /* pages proven readable by one system call */
#define PROF__CGO_FP_SPAN (8u << 20) /* a frame-pointer frame at most 8 MiB */
#define PROF__CGO_SCAN_WORDS 512     /* the scan fallback reads 4 KiB     */

/* One walk: the table it reads and the stack ranges it has proven
 * readable. A register value may be garbage (a stale context, a frame
 * pointer that is not one), so no address is loaded before its page was
 * read through process_vm_readv, which fails instead of faulting. One
 * call tests the page and the one above it (a stack grows down, so the
 * frames ahead are there), one byte each; it stops at the first
 * unreadable one. Each page costs the call ~1 us more on the CI VM, so
 * two: a walk of a few frames then makes one call. */
struct prof__cgo_walk {
  const struct prof__cgo_table *t;
  uint64_t vlo[2], vhi[2]; /* proven readable: [vlo, vhi) */
  unsigned nv;
  uint64_t pc, sp, fp;
};

PROF__SIGSAFE static int prof__cgo_prove(struct prof__cgo_walk *w,
                                         uint64_t page) {
  struct iovec remote[PROF__CGO_VPAGES];
  char sink[PROF__CGO_VPAGES];
  struct iovec local = {sink, sizeof(sink)};
  for (int k = 0; k < PROF__CGO_VPAGES; k++)
    remote[k] = (struct iovec){(void *)(uintptr_t)(page + 4096u * k), 1};
  ssize_t n = process_vm_readv(getpid(), &local, 1, remote,
                               PROF__CGO_VPAGES, 0);
  if (n <= 0)
    return -1;
  w->vlo[w->nv % 2] = page;
  w->vhi[w->nv % 2] = page + 4096u * (uint64_t)n;
  w->nv++;
  return 0;
}

PROF__SIGSAFE PROF__NO_SANITIZE static int
prof__cgo_load(struct prof__cgo_walk *w, uint64_t addr, uint64_t *val) {
  if (addr & 7)
    return -1;
  for (unsigned i = 0; i < w->nv && i < 2; i++)
    if (addr >= w->vlo[i] && addr < w->vhi[i]) {
      *val = *(const volatile uint64_t *)(uintptr_t)addr;
      return 0;
    }
  if (prof__cgo_prove(w, addr & ~(uint64_t)4095) != 0)
    return -1;
  *val = *(const volatile uint64_t *)(uintptr_t)addr;
  return 0;
}

/* Binary search of n sorted, disjoint [lo, hi) spans that start n
 * elements of `size` bytes (both tables' elements begin with lo, hi): the
 * index of the one holding at, or -1. */
PROF__SIGSAFE static long prof__cgo_search(const void *base, uint32_t n,
                                           size_t size, uint64_t at) {
  uint32_t lo = 0, hi = n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    const struct prof__cgo_span *e =
        (const void *)((const char *)base + (size_t)mid * size);
    if (at < e->lo)
      hi = mid;
    else if (at >= e->hi)
      lo = mid + 1;
    else
      return mid;
  }
  return -1;
}

PROF__SIGSAFE const struct prof__rule *
prof__cgo_rule(const struct prof__cgo_table *t, uint64_t at) {
  long i = prof__cgo_search(t->ranges, t->nranges, sizeof(*t->ranges), at);
  return i < 0 ? NULL : &t->ranges[i].rule;
}

PROF__SIGSAFE int prof__cgo_in_go(const struct prof__cgo_table *t,
                                  uint64_t at) {
  return prof__cgo_search(t->go, t->ngo, sizeof(*t->go), at) >= 0;
}

PROF__SIGSAFE static void prof__cgo_note_miss(uint64_t at) {
  uint32_t i = atomic_fetch_add_explicit(&prof__cgo_miss_head, 1,
                                         memory_order_relaxed);
  atomic_store_explicit(&prof__cgo_miss[i % PROF__CGO_MISSES], at,
                        memory_order_relaxed);
}

/* Whether pc is a return address into code the table knows: prepared C
 * code, or Go code (where the walk will then end). */
PROF__SIGSAFE static int prof__cgo_known_ra(const struct prof__cgo_table *t,
                                            uint64_t pc) {
  return pc > 1 && (prof__cgo_rule(t, pc - 1) || prof__cgo_in_go(t, pc - 1));
}

/* A PC not prepared yet, first try: one step along the frame-pointer
 * chain, if FP looks like a frame of this stack (above SP, near) and the
 * return address found there leads into known code. */
PROF__SIGSAFE static int prof__cgo_fp_step(struct prof__cgo_walk *w) {
  uint64_t ra, next_fp;
  if (w->fp <= w->sp || w->fp - w->sp > PROF__CGO_FP_SPAN ||
      prof__cgo_load(w, w->fp + 8, &ra) != 0 ||
      prof__cgo_load(w, w->fp, &next_fp) != 0 ||
      !prof__cgo_known_ra(w->t, ra))
    return -1;
  w->pc = ra;
  w->sp = w->fp + 16;
  w->fp = next_fp;
  return 0;
}

/* Second try: the nearest word above SP that is a return address into
 * prepared C code, else the nearest into Go code (where the walk ends).
 * It skips the unknown frames in between (a cold libc abort() path shows
 * its innermost frame, then the program's caller), which the next
 * traceback, with that code prepared, no longer does. C first: frames of
 * cold libc code (abort's large one) hold stale words from earlier Go
 * calls on the same stack, and taking one would end the walk before the
 * program's own C frames. */
PROF__SIGSAFE static int prof__cgo_scan_for(struct prof__cgo_walk *w,
                                            int go) {
  uint64_t at = (w->sp + 7) & ~(uint64_t)7, v;
  for (int i = 0; i < PROF__CGO_SCAN_WORDS; i++, at += 8) {
    if (prof__cgo_load(w, at, &v) != 0)
      return -1;
    if (v > 1 && (go ? prof__cgo_in_go(w->t, v - 1)
                     : prof__cgo_rule(w->t, v - 1) != NULL)) {
      w->pc = v;
      w->sp = at + 8;
      return 0;
    }
  }
  return -1;
}

PROF__SIGSAFE static int prof__cgo_scan(struct prof__cgo_walk *w) {
  return prof__cgo_scan_for(w, 0) == 0 ? 0 : prof__cgo_scan_for(w, 1);
}

/* Steps out of the frame whose code is at `at` (the PC itself for an
 * interrupted frame, the call instruction for the others). 0, or -1 at
 * the end of the C stack. */
PROF__SIGSAFE static int prof__cgo_step(struct prof__cgo_walk *w,
                                        uint64_t at) {
  const struct prof__rule *r = prof__cgo_rule(w->t, at);
  if (!r) {
    prof__cgo_note_miss(at);
    return prof__cgo_fp_step(w) == 0 ? 0 : prof__cgo_scan(w);
  }
  if (r->flags & (PROF__RULE_OUTERMOST | PROF__RULE_COMPLEX))
    return -1;
  uint64_t base = (r->flags & PROF__RULE_FP_BASE) ? w->fp : w->sp, ra;
  uint64_t cfa = base + (uint64_t)(int64_t)r->cfa_off;
  if (cfa <= w->sp || prof__cgo_load(w, cfa + (uint64_t)(int64_t)r->ra_off,
                                     &ra) != 0)
    return -1; /* a real stack only grows outward: anything else is junk */
  if ((r->flags & PROF__RULE_FP_SAVED) &&
      prof__cgo_load(w, cfa + (uint64_t)(int64_t)r->fp_off, &w->fp) != 0)
    return -1;
  w->pc = ra;
  w->sp = cfa;
  return 0;
}

/* Fills buf with the C frames from w's registers, innermost first, until
 * Go code, the end of the chain or max; then the terminating 0 if room.
 * exact: w->pc is an interrupted PC, kept as is; every other PC is a
 * return address and is stored minus one, inside the call instruction,
 * as Go's contract asks ("the file/line of the call instruction"). */
PROF__SIGSAFE static void prof__cgo_walk(struct prof__cgo_walk *w,
                                         uintptr_t *buf, uintptr_t max,
                                         int exact) {
  uintptr_t n = 0;
  while (n < max && w->pc > 1) {
    uint64_t at = exact ? w->pc : w->pc - 1;
    exact = 0;
    if (prof__cgo_in_go(w->t, at))
      break; /* the Go side: Go's traceback continues from here */
    buf[n++] = (uintptr_t)at;
    if (prof__cgo_step(w, at) != 0)
      break;
  }
  if (n < max)
    buf[n] = 0;
}

/* The registers of the caller of the function this expands in, from the
 * frame that function sets up: taking the frame address forces a
 * frame-pointer frame, so frame[0] is the caller's FP, frame[1] the
 * return address into it, and frame + 2 the caller's stack pointer. */
#define PROF__CGO_HERE(w)                                                 \
  do {                                                                    \
    uint64_t *frame_ = __builtin_frame_address(0);                       \
    (w)->pc = (uint64_t)(uintptr_t)__builtin_return_address(0);          \
    (w)->sp = (uint64_t)(uintptr_t)(frame_ + 2);                         \
    (w)->fp = frame_[0];                                                  \
  } while (0)

PROF__SIGSAFE static const struct prof__cgo_table *prof__cgo_enter(void) {
  atomic_fetch_add_explicit(&prof__cgo_readers, 1, memory_order_seq_cst);
  return atomic_load_explicit(&prof__cgo_table, memory_order_seq_cst);
}

PROF__SIGSAFE static void prof__cgo_leave(void) {
  atomic_fetch_sub_explicit(&prof__cgo_readers, 1, memory_order_release);
}

/* Where a Context value points, if it is one of ours. */
PROF__SIGSAFE static struct prof__cgo_ctx *prof__cgo_ctx_of(uintptr_t v) {
  uintptr_t base = (uintptr_t)prof__cgo_ctxs;
  if (v < base || v >= base + sizeof(prof__cgo_ctxs) ||
      (v - base) % sizeof(prof__cgo_ctxs[0]) != 0)
    return NULL;
  return (struct prof__cgo_ctx *)v;
}

/* Starting registers: the signal's or a saved context's. 1 if the first
 * PC is an interrupted one, 0 if a return address, -1 if neither is
 * given (the caller then starts from its own caller). */
PROF__SIGSAFE static int prof__cgo_start(const struct prof_traceback_arg *a,
                                         struct prof__cgo_walk *w) {
  if (a->context) {
    struct prof__cgo_ctx *c = prof__cgo_ctx_of(a->context);
    if (!c || atomic_load_explicit(&c->used, memory_order_acquire) != 1)
      return -1; /* released, or (a stale value) being rewritten */
    w->pc = c->pc, w->sp = c->sp, w->fp = c->fp;
    return 0;
  }
  if (a->sig_context) {
    struct prof__regs regs;
    prof__arch_regs_from_ucontext((const void *)a->sig_context, &regs);
    w->pc = prof__arch_pc(&regs), w->sp = prof__arch_sp(&regs);
    w->fp = prof__arch_fp(&regs);
    return 1;
  }
  return -1;
}

void prof_cgo_traceback(void *arg) {
  struct prof_traceback_arg *a = arg;
  if (!a || !a->buf || a->max == 0)
    return;
  int saved_errno = errno;
  a->buf[0] = 0;
  struct prof__cgo_walk w = {0}; /* no table without prof_cgo_init */
  w.t = prof__cgo_enter();
  int exact = prof__cgo_start(a, &w);
  if (exact < 0 && !a->context && !a->sig_context) {
    PROF__CGO_HERE(&w); /* "the current program location", from C */
    exact = 0;
  }
  if (w.t && exact >= 0)
    prof__cgo_walk(&w, a->buf, a->max, exact);
  prof__cgo_leave();
  errno = saved_errno;
}

/* Record: w holds the registers of the context hook's caller (Go's
 * _cgo_wait_runtime_init_done, whose frame is gone by the time a
 * traceback reads the record). One step leads to the C function that
 * called into Go, whose frame stays live and unchanged until the callback
 * returns: its registers are the record. */
PROF__SIGSAFE static uintptr_t prof__cgo_record(struct prof__cgo_walk *w) {
  static _Atomic uint32_t hint;
  uintptr_t v = 0;
  /* The page of our own stack pointer is mapped: the common case, a
   * caller's frame on the same page, costs no system call. */
  w->vlo[0] = w->sp & ~(uint64_t)4095;
  w->vhi[0] = w->vlo[0] + 4096;
  w->nv = 1;
  w->t = prof__cgo_enter();
  if (w->t && prof__cgo_step(w, w->pc - 1) == 0) {
    uint32_t h = atomic_fetch_add_explicit(&hint, 1, memory_order_relaxed);
    for (uint32_t i = 0; i < 64 && !v; i++) { /* bounded: else 0 */
      struct prof__cgo_ctx *c = &prof__cgo_ctxs[(h + i) % PROF__CGO_CTXS];
      uint32_t free_slot = 0;
      if (!atomic_compare_exchange_strong_explicit(
              &c->used, &free_slot, 2, memory_order_acquire,
              memory_order_relaxed))
        continue;
      c->pc = w->pc, c->sp = w->sp, c->fp = w->fp;
      atomic_store_explicit(&c->used, 1, memory_order_release);
      v = (uintptr_t)c;
    }
  }
  prof__cgo_leave();
  return v;
}

void prof_cgo_context(void *arg) {
  struct prof_context_arg *a = arg;
  if (!a)
    return;
  int saved_errno = errno;
  if (a->context == 0) {
    struct prof__cgo_walk w = {0};
    PROF__CGO_HERE(&w);
    a->context = prof__cgo_record(&w);
  } else {
    struct prof__cgo_ctx *c = prof__cgo_ctx_of(a->context);
    if (c)
      atomic_store_explicit(&c->used, 0, memory_order_release);
  }
  errno = saved_errno;
}
