/* Register extraction from the kernel's aarch64 signal frame. */
#if defined(__aarch64__)
#include <ucontext.h>

#include "arch/arch.h"

PROF__SIGSAFE void prof__arch_regs_from_ucontext(const void *ucv,
                                                 struct prof__regs *out) {
  const ucontext_t *uc = ucv;
  for (int i = 0; i < 31; i++)
    out->r[i] = uc->uc_mcontext.regs[i];
  out->r[PROF__ARCH_REG_SP] = uc->uc_mcontext.sp;
  out->r[PROF__ARCH_REG_PC] = uc->uc_mcontext.pc;
}
#endif
