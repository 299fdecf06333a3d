/* The sample record: everything the signal handler captures, in one
 * fixed-size ring slot. The handler fills it; the collector reads it.
 * The stack bytes follow the header in the same slot. */
#ifndef PROF_SIGPATH_SAMPLE_H
#define PROF_SIGPATH_SAMPLE_H

#include <stdint.h>

#include "arch/arch.h"

/* Crossing record kinds (the context slice). */
#define PROF__CROSS_NATIVE 1  /* managed code called native code   */
#define PROF__CROSS_MANAGED 2 /* native code called managed code   */
/* An interpreter activation found in the runtime's own structures: sp is
 * the address of a marker (CPython's _PyCFrame) inside the native frame
 * that runs it; that frame is the interpreter's, replaced by the managed
 * frames. */
#define PROF__CROSS_ACTIVATION 3

/* Sample flags. */
#define PROF__SAMPLE_SLICE_CUT 0x1u  /* slice overflowed or was misused   */
#define PROF__SAMPLE_HOOK_CUT 0x2u   /* a traceback hook hit its max     */
#define PROF__SAMPLE_MPCS_CUT 0x4u   /* managed PC budget ran out        */
#define PROF__SAMPLE_STACK_CUT 0x8u  /* stack copy shorter than asked    */
#define PROF__SAMPLE_BAD_RUNTIME 0x10u /* a record names no runtime     */
#define PROF__SAMPLE_SLICE_OUTER 0x20u /* outer records were not copied */
#define PROF__SAMPLE_RUNTIME_TORN 0x40u /* runtime frames failed a check */

/* Records copied per sample: the innermost ones. */
#define PROF__SAMPLE_SLICE_MAX 32
/* Managed PCs per sample, all tracebacks together. */
#define PROF__SAMPLE_MPCS_MAX 512
/* Managed PCs one traceback call may write. */
#define PROF__TRACEBACK_MAX 256

struct prof__crossing {
  uint32_t kind;     /* PROF__CROSS_*                               */
  int32_t runtime;   /* registered runtime id                       */
  uintptr_t sp;      /* caller's stack pointer at the crossing      */
  uintptr_t context; /* NATIVE: the context hook's value, else 0    */
};

struct prof__sample {
  uint64_t time_ns;   /* CLOCK_MONOTONIC at capture                  */
  uint64_t weight_ns; /* thread CPU (or wall) time since its last    */
  int32_t tid;
  uint32_t flags;     /* PROF__SAMPLE_*                              */
  struct prof__regs regs;
  uint64_t stack_addr; /* address of stack[0] in the thread's stack  */
  uint32_t stack_len;  /* bytes valid in stack[]                     */
  uint16_t nslice;     /* records in slice[], outermost first        */
  uint16_t nmpcs;      /* PCs in mpcs[]                              */
  struct prof__crossing slice[PROF__SAMPLE_SLICE_MAX];
  uint16_t tb_off[PROF__SAMPLE_SLICE_MAX]; /* per record: its PCs in */
  uint16_t tb_len[PROF__SAMPLE_SLICE_MAX]; /* mpcs[], innermost first */
  uintptr_t mpcs[PROF__SAMPLE_MPCS_MAX];
  unsigned char stack[]; /* stack_len bytes copied from stack_addr    */
};

#endif
