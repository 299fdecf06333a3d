/* The handler half of native unwinding: a fault-free stack copy. */
#include <sys/uio.h>

#include "sigpath/capture.h"

#define PROF__PAGE 4096u
#define PROF__CAPTURE_IOV 80 /* pages per copy: 320 KiB max */

/* process_vm_readv stops at the first unreadable page, but only at iovec
 * granularity, so the remote range is split at page boundaries: a stack
 * whose top is nearer than max_bytes then copies every readable page
 * instead of nothing. */
PROF__SIGSAFE static void prof__capture_readv(struct prof__sample *smp,
                                              size_t max_bytes, pid_t pid) {
  uint64_t sp = prof__arch_sp(&smp->regs);
  struct iovec local = {smp->stack, max_bytes};
  struct iovec remote[PROF__CAPTURE_IOV];
  int n = 0;
  uint64_t at = sp, end = sp + max_bytes;
  while (at < end && n < PROF__CAPTURE_IOV) {
    uint64_t next = (at & ~(uint64_t)(PROF__PAGE - 1)) + PROF__PAGE;
    if (next > end)
      next = end;
    remote[n].iov_base = (void *)at;
    remote[n].iov_len = next - at;
    n++;
    at = next;
  }
  ssize_t got = process_vm_readv(pid, &local, 1, remote, (unsigned long)n, 0);
  smp->stack_addr = sp;
  smp->stack_len = got > 0 ? (uint32_t)got : 0;
}

PROF__SIGSAFE void prof__stack_capture(struct prof__sample *smp,
                                       size_t max_bytes, pid_t pid,
                                       uintptr_t lo, uintptr_t hi) {
  uint64_t sp = prof__arch_sp(&smp->regs);
  if (sp < lo || sp >= hi) {
    prof__capture_readv(smp, max_bytes, pid);
    return;
  }
  size_t n = hi - sp < max_bytes ? hi - sp : max_bytes;
  __builtin_memcpy(smp->stack, (const void *)sp, n);
  smp->stack_addr = sp;
  smp->stack_len = (uint32_t)n;
}
