/* Per-architecture facts behind one dispatch header: the register file
 * saved in a sample, how to fill it from a signal's ucontext_t, and how a
 * crossing function finds its caller's stack pointer.
 *
 * Everything here is async-signal-safe: plain loads and stores only. */
#ifndef PROF_ARCH_ARCH_H
#define PROF_ARCH_ARCH_H

#include <stdint.h>

#include "base/common.h"

#if defined(__x86_64__)
#include "arch/x86_64.h"
#elif defined(__aarch64__)
#include "arch/aarch64.h"
#else
#error "libprof supports x86_64 and aarch64"
#endif

/* The registers a sample keeps, indexed by libunwind's register numbers
 * for this architecture (so the remote unwinder reads them directly). */
struct prof__regs {
  uint64_t r[PROF__ARCH_NREGS];
};

/* Copies the interrupted context's registers. uc is a ucontext_t *.
 * PROF__SIGSAFE. */
PROF__HIDDEN void prof__arch_regs_from_ucontext(const void *uc,
                                                struct prof__regs *out);

static inline uint64_t prof__arch_pc(const struct prof__regs *r) {
  return r->r[PROF__ARCH_REG_PC];
}
static inline uint64_t prof__arch_sp(const struct prof__regs *r) {
  return r->r[PROF__ARCH_REG_SP];
}
static inline uint64_t prof__arch_fp(const struct prof__regs *r) {
  return r->r[PROF__ARCH_REG_FP];
}

/* The canonical frame address of the calling function, i.e. the stack
 * pointer its caller had at the call. Used by the crossing functions, which
 * must not be inlined, so that "CFA of the crossing function" is exactly the
 * host's stack pointer at the crossing call. */
#define PROF__ARCH_CALLER_SP() ((uintptr_t)__builtin_dwarf_cfa())

#endif
