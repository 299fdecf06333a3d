/* x86_64: libunwind's UNW_X86_64_* numbering (RAX=0 ... RIP=16). */
#ifndef PROF_ARCH_X86_64_H
#define PROF_ARCH_X86_64_H

#define PROF__ARCH_NAME "x86_64"
#define PROF__ARCH_NREGS 17
#define PROF__ARCH_REG_FP 6  /* rbp */
#define PROF__ARCH_REG_SP 7  /* rsp */
#define PROF__ARCH_REG_PC 16 /* rip */
/* A frame-pointer frame is [saved fp][return address] at fp. */
#define PROF__ARCH_FP_RA_OFFSET 8
/* The x86_64 stack grows down and a call pushes the return address. */
#define PROF__ARCH_RA_PUSHED 1
/* libunwind's symbol prefix for the generic (remote-capable) library. */
#define PROF__ARCH_UNW_PREFIX "_Ux86_64_"
#define PROF__ARCH_UNW_LIB "libunwind-x86_64.so.8"

#endif
