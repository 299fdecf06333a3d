/* Register extraction from the kernel's x86_64 signal frame. */
#if defined(__x86_64__)
#include <ucontext.h>

#include "arch/arch.h"

/* gregs[] uses the kernel's sigcontext order (REG_R8 = 0, ...); libunwind
 * numbers registers in DWARF order. This table maps DWARF -> gregs. */
static const int prof__gregs_index[PROF__ARCH_NREGS] = {
    REG_RAX, REG_RDX, REG_RCX, REG_RBX, REG_RSI, REG_RDI,
    REG_RBP, REG_RSP, REG_R8,  REG_R9,  REG_R10, REG_R11,
    REG_R12, REG_R13, REG_R14, REG_R15, REG_RIP};

PROF__SIGSAFE void prof__arch_regs_from_ucontext(const void *ucv,
                                                 struct prof__regs *out) {
  const ucontext_t *uc = ucv;
  for (int i = 0; i < PROF__ARCH_NREGS; i++)
    out->r[i] = (uint64_t)uc->uc_mcontext.gregs[prof__gregs_index[i]];
}
#endif
