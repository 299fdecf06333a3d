/* aarch64: libunwind's UNW_AARCH64_* numbering (X0..X30=0..30, SP=31,
 * PC=32). */
#ifndef PROF_ARCH_AARCH64_H
#define PROF_ARCH_AARCH64_H

#define PROF__ARCH_NAME "aarch64"
#define PROF__ARCH_NREGS 33
#define PROF__ARCH_REG_FP 29 /* x29 */
#define PROF__ARCH_REG_SP 31
#define PROF__ARCH_REG_PC 32
/* An AAPCS64 frame record is [saved x29][saved x30] at x29. */
#define PROF__ARCH_FP_RA_OFFSET 8
/* The return address lives in x30 until the callee saves it. */
#define PROF__ARCH_RA_PUSHED 0
#define PROF__ARCH_UNW_PREFIX "_Uaarch64_"
#define PROF__ARCH_UNW_LIB "libunwind-aarch64.so.8"

#endif
