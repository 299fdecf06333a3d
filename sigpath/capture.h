/* The handler half of native unwinding: registers and a fault-free copy
 * of the top of the stack go into the sample; unwind/ unwinds that
 * snapshot later in the collector (see unwind/unwind.h for why). */
#ifndef PROF_SIGPATH_CAPTURE_H
#define PROF_SIGPATH_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sigpath/sample.h"

/* Copies up to max_bytes of the stack from the interrupted stack pointer
 * into smp->stack and sets stack_addr/stack_len. Takes smp->regs as
 * filled already. When the interrupted sp lies in the thread's known stack
 * [lo, hi) (0, 0 = unknown), the bytes up to hi are mapped, so a memcpy
 * suffices; otherwise (unknown bounds, sigaltstack, a coroutine's stack)
 * the copy is fault-free through process_vm_readv on our own pid.
 * PROF__SIGSAFE. */
PROF__HIDDEN void prof__stack_capture(struct prof__sample *smp,
                                      size_t max_bytes, pid_t pid,
                                      uintptr_t lo, uintptr_t hi);

#endif
