/* CPython 3.11 frames from the signal handler (sigpath/python.h).
 *
 * The sampled thread's PyThreadState comes from the interpreter's own TSS
 * key (pthread_getspecific: lock-free in glibc, and valid whether or not
 * the thread holds the GIL). From it, tstate->cframe and each _PyCFrame's
 * `previous` list the eval activations, innermost first; each cframe is a
 * local of the native _PyEval_EvalFrameDefault frame that runs it, so its
 * address is the activation's crossing sp for the merge. The Python frames
 * of activation i run from cframe[i]->current_frame along `previous` up to
 * cframe[i+1]->current_frame.
 *
 * Which reads are plain loads: memory the thread owns and that cannot be
 * freed under us. While the thread holds the GIL (tstate_current is its
 * own) no other thread can free its tstate, data-stack chunks or the
 * frames in them, and a frame holds its code object. Everything else is
 * read with process_vm_readv on our own pid, which cannot fault: a thread
 * without the GIL (finalization may free its state), and a link that may
 * be stale. Links go stale only in the innermost activation while the
 * interrupted PC is in the eval loop, where the compiler orders the
 * linking stores late: at the loop's entry (tstate->cframe set before the
 * cframe's fields: that activation is treated as not entered yet) and at
 * an inline call (the new frame is current before its `previous` is set:
 * that link is proven by the data-stack layout before it is followed). */
#include <pthread.h>
#include <sys/uio.h>

#include "sigpath/python.h"
#include "sigpath/python311.h"
#include "sigpath/thread.h"

#define PROF__PY_MAXC 32  /* activations                       */
#define PROF__PY_MAXF 256 /* frames, all activations together  */
#define PROF__PY_CHUNKS 8 /* data-stack chunks checked          */

struct prof__py prof__py;
_Atomic uintptr_t prof__py_seen[PROF__PY_SEEN];
_Atomic uint64_t prof__py_deaths;

struct prof__pyr {
  pid_t pid;
  int direct;             /* the thread holds the GIL                  */
  int torn_risk;          /* innermost activation, pc in the eval loop */
  uint32_t deaths;        /* prof__py_deaths at the sample            */
  uintptr_t sp, stack_hi; /* the thread's stack, hi 0 = unknown        */
  int nlive;
  uintptr_t live_lo[PROF__PY_CHUNKS], live_hi[PROF__PY_CHUNKS];
};

struct prof__pyact {
  uintptr_t cf, frame;
};

PROF__SIGSAFE static uint64_t prof__ld(const unsigned char *b, unsigned off) {
  uint64_t v;
  __builtin_memcpy(&v, b + off, sizeof(v));
  return v;
}

PROF__SIGSAFE static uint32_t prof__ld32(const unsigned char *b,
                                         unsigned off) {
  uint32_t v;
  __builtin_memcpy(&v, b + off, sizeof(v));
  return v;
}

/* Copies n bytes at a: a plain copy if `plain`, else a fault-free one.
 * Returns 0, or -1 if any byte was unreadable. */
PROF__SIGSAFE static int prof__py_read(const struct prof__pyr *r, uintptr_t a,
                                       void *dst, size_t n, int plain) {
  if (a == 0 || a + n < a)
    return -1;
  if (plain) {
    __builtin_memcpy(dst, (const void *)a, n);
    return 0;
  }
  struct iovec local = {dst, n}, remote = {(void *)a, n};
  return process_vm_readv(r->pid, &local, 1, &remote, 1, 0) == (ssize_t)n
             ? 0 : -1;
}

/* 1 if [a, a+n) is a live part of the thread's frame data stack. */
PROF__SIGSAFE static int prof__py_live(const struct prof__pyr *r, uintptr_t a,
                                       size_t n) {
  for (int i = 0; i < r->nlive; i++)
    if (a >= r->live_lo[i] && a + n <= r->live_hi[i])
      return 1;
  return 0;
}

/* Notes the live ranges of the data-stack chunks: the current one up to
 * datastack_top, outer ones up to their saved top (in words). */
PROF__SIGSAFE static void prof__py_chunks(struct prof__pyr *r, uintptr_t c,
                                          uintptr_t top) {
  unsigned char h[PROF__PY_CHUNK_DATA];
  r->nlive = 0;
  for (int i = 0; i < PROF__PY_CHUNKS && c; i++) {
    if (prof__py_read(r, c, h, sizeof(h), r->direct) != 0)
      return;
    uintptr_t lo = c + PROF__PY_CHUNK_DATA;
    uintptr_t hi = i == 0 ? top : lo + 8 * prof__ld(h, PROF__PY_CHUNK_TOP);
    if (hi < lo)
      return;
    r->live_lo[r->nlive] = lo;
    r->live_hi[r->nlive++] = hi;
    c = prof__ld(h, PROF__PY_CHUNK_PREVIOUS);
  }
}

/* The activations, innermost first, from tstate->cframe to (excluding)
 * &tstate->root_cframe, at most PROF__PY_MAXC of them; act[n] is then the
 * next one (its frame ends act[n - 1]) and *cut is set. They must be
 * aligned, strictly rising stack addresses above sp that end at the root
 * or at the cut: else returns -1 (a torn or foreign chain, never walked). */
PROF__SIGSAFE static int prof__py_cframes(const struct prof__pyr *r,
                                          uintptr_t cf, uintptr_t root,
                                          struct prof__pyact *act, int *cut) {
  uintptr_t last = r->sp;
  for (int n = 0; n <= PROF__PY_MAXC; n++) {
    if (cf == root) {
      act[n].frame = 0; /* the outermost activation ends at NULL */
      return n;
    }
    if ((cf & 7) || cf <= last)
      return -1;
    unsigned char b[PROF__PY_CF_SIZE];
    int plain = r->stack_hi && cf + sizeof(b) <= r->stack_hi;
    if (prof__py_read(r, cf, b, sizeof(b), plain) != 0)
      return -1;
    act[n].cf = cf;
    act[n].frame = prof__ld(b, PROF__PY_CF_CURRENT);
    last = cf;
    cf = prof__ld(b, PROF__PY_CF_PREVIOUS);
  }
  *cut = 1;
  return PROF__PY_MAXC;
}

/* Adds a sampled code object to prof__py_seen (see there). Returns 0, or
 * PROF__PY_PC_UNTRACKED if the set had no room. */
PROF__SIGSAFE static uint64_t prof__py_note_seen(uintptr_t code) {
  for (int i = 0; i < PROF__PY_SEEN_PROBES; i++) {
    _Atomic uintptr_t *slot = &prof__py_seen[prof__py_seen_slot(code, i)];
    uintptr_t v = atomic_load_explicit(slot, memory_order_relaxed);
    if (v == code)
      return 0;
    if ((v == 0 || v == PROF__PY_TOMB) &&
        atomic_compare_exchange_strong(slot, &v, code))
      return 0;
  }
  return PROF__PY_PC_UNTRACKED;
}

/* One frame, checked: its code object must be a PyCodeObject and its
 * instruction inside the code. `trusted`: f came through sound links.
 * Writes the two PCs and the code's frame size in bytes (for the link
 * check); returns the previous frame, or 0 with *bad set (2: a frame just
 * pushed while the eval loop runs, whose `previous` may be stale). */
PROF__SIGSAFE static uintptr_t prof__py_frame(const struct prof__pyr *r,
                                              uintptr_t f, int trusted,
                                              uintptr_t *pcs, uintptr_t *fsize,
                                              int *bad) {
  unsigned char fr[PROF__PY_FR_READ], co[PROF__PY_CO_READ];
  int owned = prof__py_live(r, f, sizeof(fr));
  int plain = r->direct && trusted;
  *bad = 1;
  if ((f & 7) ||
      prof__py_read(r, f, fr, sizeof(fr), plain || (r->direct && owned)) != 0)
    return 0;
  unsigned owner = fr[PROF__PY_FR_OWNER];
  uintptr_t code = prof__ld(fr, PROF__PY_FR_CODE);
  if (owner > 1 || (owner == 0 && !owned) || (code & 7) ||
      prof__py_read(r, code, co, sizeof(co), plain) != 0 ||
      prof__ld(co, PROF__PY_CO_TYPE) != prof__py.code_type)
    return 0;
  intptr_t at = (intptr_t)(prof__ld(fr, PROF__PY_FR_PREV_INSTR) -
                           (code + PROF__PY_CO_CODE));
  intptr_t lasti = at / 2, size = (intptr_t)prof__ld(co, PROF__PY_CO_SIZE);
  if ((at & 1) || lasti < -1 || lasti >= size)
    return 0;
  pcs[0] = code;
  pcs[1] = PROF__PY_PC_TAG | prof__py_note_seen(code) |
           (uint64_t)((uint32_t)(lasti + 1) & 0x3fffffffu) << 32 | r->deaths;
  *fsize = 8 * ((uintptr_t)prof__ld32(co, PROF__PY_CO_NLOCALSPLUS) +
                prof__ld32(co, PROF__PY_CO_STACKSIZE) + PROF__PY_FR_SPECIALS);
  *bad = lasti == -1 && r->torn_risk ? 2 : 0; /* just pushed: link unproven */
  return prof__ld(fr, PROF__PY_FR_PREVIOUS);
}

/* The frames of one activation, from f to (excluding) stop, into pcs.
 * A frame pushed but not started while the eval loop runs may carry a
 * stale `previous`: unless the activation ends right there, the link must
 * be the data-stack push it was (the caller's frame, then its size).
 * Returns the PCs written (the innermost ones, with *full set, if max was
 * reached first), or -1 if the activation fails a check. */
PROF__SIGSAFE static int prof__py_segment(const struct prof__pyr *r,
                                          uintptr_t f, uintptr_t stop,
                                          uintptr_t *pcs, int max,
                                          int *full) {
  int n = 0, unproven = 0;
  uintptr_t pushed = 0, fsize;
  while (f != stop) {
    int bad;
    if (n + PROF__PY_PCS > max) {
      *full = 1;
      return n;
    }
    uintptr_t prev = prof__py_frame(r, f, !unproven, pcs + n, &fsize, &bad);
    if (bad == 1)
      return -1;
    if (unproven && !(prof__py_live(r, f, PROF__PY_FR_READ) &&
                      f + fsize == pushed))
      return -1;
    unproven = bad == 2 && prev != stop;
    pushed = f;
    n += PROF__PY_PCS;
    f = prev;
  }
  return n;
}

/* The thread's state: 0 if it has none or the interpreter is not running
 * (before initialization, or finalizing: other threads' states are being
 * freed); *current: tstate_current. _PyRuntime is static data, always
 * readable. */
PROF__SIGSAFE static uintptr_t prof__py_tstate(int *holds_gil,
                                               uintptr_t *current) {
  const unsigned char *rt = (const unsigned char *)prof__py.rt;
  *current = 0, *holds_gil = 0;
  if (prof__ld32(rt, PROF__PY_RT_INITIALIZED) == 0 ||
      prof__ld(rt, PROF__PY_RT_FINALIZING) != 0 ||
      prof__ld32(rt, PROF__PY_RT_TSS_INIT) == 0)
    return 0;
  /* read the key fresh: a fork child re-creates it */
  uintptr_t ts = (uintptr_t)pthread_getspecific(
      (pthread_key_t)prof__ld32(rt, PROF__PY_RT_TSS_KEY));
  *current = prof__ld(rt, PROF__PY_RT_TSTATE_CUR);
  *holds_gil = ts && *current == ts;
  return ts;
}

/* Inserts the activations' records (act[0] innermost) into smp's slice,
 * which is ordered outermost first, by stack address: both describe the
 * same stack, so address order is call order. If the slice is full, the
 * outermost records go, as in prof__slice_capture. */
PROF__SIGSAFE static void prof__py_insert(struct prof__sample *smp,
                                          const struct prof__pyact *act,
                                          const uint16_t *off,
                                          const uint16_t *len, int n) {
  struct prof__crossing rec[PROF__SAMPLE_SLICE_MAX];
  uint16_t o[PROF__SAMPLE_SLICE_MAX], l[PROF__SAMPLE_SLICE_MAX];
  int total = smp->nslice + n, skip = total - PROF__SAMPLE_SLICE_MAX;
  int i = 0, j = n - 1, k = 0;
  while (i < smp->nslice || j >= 0) {
    int theirs = j < 0 || (i < smp->nslice && smp->slice[i].sp > act[j].cf);
    if (skip-- > 0) {
      theirs ? i++ : j--;
      continue;
    }
    if (theirs) {
      rec[k] = smp->slice[i], o[k] = smp->tb_off[i], l[k] = smp->tb_len[i];
      i++;
    } else {
      rec[k] = (struct prof__crossing){PROF__CROSS_ACTIVATION, prof__py.runtime,
                                       act[j].cf, 0};
      o[k] = off[j], l[k] = len[j];
      j--;
    }
    k++;
  }
  if (total > PROF__SAMPLE_SLICE_MAX)
    smp->flags |= PROF__SAMPLE_SLICE_CUT | PROF__SAMPLE_SLICE_OUTER;
  for (i = 0; i < k; i++)
    smp->slice[i] = rec[i], smp->tb_off[i] = o[i], smp->tb_len[i] = l[i];
  smp->nslice = (uint16_t)k;
}

/* Walks every activation's frames into smp->mpcs; an activation failing
 * a check keeps its record (its native frame is still the interpreter's)
 * but no frames, and marks the sample. When the PC budget runs out, the
 * outer activations are left out and the sample is cut there. */
PROF__SIGSAFE static void prof__py_walk(struct prof__sample *smp,
                                        struct prof__pyr *r,
                                        const struct prof__pyact *act, int n,
                                        int risk /* 0, 1 in eval, 2 entry */) {
  uint16_t off[PROF__PY_MAXC], len[PROF__PY_MAXC];
  int room = PROF__SAMPLE_MPCS_MAX - smp->nmpcs, full = 0, a;
  if (room > PROF__PY_MAXF * PROF__PY_PCS)
    room = PROF__PY_MAXF * PROF__PY_PCS;
  for (a = 0; a < n && !full; a++) {
    r->torn_risk = a == 0 && risk;
    int got = a == 0 && risk == 2 /* entering: not linked yet */
                  ? 0
                  : prof__py_segment(r, act[a].frame, act[a + 1].frame,
                                     smp->mpcs + smp->nmpcs, room, &full);
    if (got < 0) {
      smp->flags |= PROF__SAMPLE_RUNTIME_TORN;
      got = 0;
    }
    off[a] = smp->nmpcs, len[a] = (uint16_t)got;
    smp->nmpcs = (uint16_t)(smp->nmpcs + got);
    room -= got;
  }
  if (full)
    smp->flags |= PROF__SAMPLE_MPCS_CUT | PROF__SAMPLE_SLICE_OUTER;
  prof__py_insert(smp, act, off, len, a);
}

/* Reads a thread state's first bytes into t and returns its innermost
 * cframe, or 0. A foreign state (tstate_current when it is not the
 * thread's own: a sub-interpreter the thread runs) counts only if that
 * cframe lies on this thread's stack; it may be another thread's state
 * being freed, so it is read fault-free. */
PROF__SIGSAFE static uintptr_t prof__py_state(const struct prof__pyr *r,
                                              uintptr_t ts, int foreign,
                                              unsigned char *t) {
  if (!ts || prof__py_read(r, ts, t, PROF__PY_TS_READ,
                           r->direct && !foreign) != 0)
    return 0;
  uintptr_t cf = prof__ld(t, PROF__PY_TS_CFRAME);
  if (foreign && (!r->stack_hi || cf < r->sp ||
                  cf + PROF__PY_CF_SIZE > r->stack_hi))
    return 0;
  return cf;
}

/* Walks one thread state's chain into smp (risk: see prof__py_walk). */
PROF__SIGSAFE static void prof__py_chain(struct prof__sample *smp,
                                         struct prof__pyr *r, uintptr_t ts,
                                         const unsigned char *t, int risk) {
  struct prof__pyact act[PROF__PY_MAXC + 1];
  prof__py_chunks(r, prof__ld(t, PROF__PY_TS_CHUNK),
                  prof__ld(t, PROF__PY_TS_TOP));
  int cut = 0, n = prof__py_cframes(r, prof__ld(t, PROF__PY_TS_CFRAME),
                                    ts + PROF__PY_TS_ROOT_CFRAME, act, &cut);
  if (n < 0) {
    smp->flags |= PROF__SAMPLE_RUNTIME_TORN;
    return;
  }
  if (cut) /* outer activations not read: their eval frames cannot be placed */
    smp->flags |= PROF__SAMPLE_SLICE_CUT | PROF__SAMPLE_SLICE_OUTER;
  prof__py_walk(smp, r, act, n, risk);
}

/* The thread's own state's chain and, when the thread runs a
 * sub-interpreter, the current state's chain too: the records of both
 * interleave by address. Only the chain holding the innermost cframe can
 * be torn. */
PROF__SIGSAFE void prof__python_capture(struct prof__sample *smp, pid_t pid) {
  if (!atomic_load_explicit(&prof__py.on, memory_order_acquire))
    return;
  struct prof__pyr r = {.pid = pid, .sp = prof__arch_sp(&smp->regs),
                        .stack_hi = prof__tls.stack_hi};
  /* before any code is read: a death numbered from here on is later */
  r.deaths = (uint32_t)atomic_load(&prof__py_deaths);
  uintptr_t cur, ts = prof__py_tstate(&r.direct, &cur);
  if (r.sp < prof__tls.stack_lo || r.sp >= r.stack_hi)
    r.stack_hi = 0; /* on another stack (sigaltstack): bounds unknown */
  unsigned char t[PROF__PY_TS_READ], c[PROF__PY_TS_READ];
  uintptr_t own = prof__py_state(&r, ts, 0, t);
  uintptr_t sub = cur != ts ? prof__py_state(&r, cur, 1, c) : 0;
  uint64_t pc = prof__arch_pc(&smp->regs);
  int risk = pc < prof__py.eval_lo || pc >= prof__py.eval_hi ? 0
             : pc < prof__py.eval_lo + PROF__PY_EVAL_ENTRY   ? 2
                                                             : 1;
  if (own)
    prof__py_chain(smp, &r, ts, t, sub && sub < own ? 0 : risk);
  if (sub) {
    r.direct = 0; /* perhaps another thread's state */
    prof__py_chain(smp, &r, cur, c, sub < own || !own ? risk : 0);
  }
}
