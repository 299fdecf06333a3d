/* The handler half of native unwinding: a fault-free stack copy. */
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sigpath/capture.h"

#define PROF__PAGE 4096u
#define PROF__CAPTURE_IOV 80 /* pages per copy: 320 KiB max */

/* Sanitizers must not see the stack copy. The bytes between the
 * interrupted sp and the top of the stack include ASan's poisoned redzones
 * around the host's locals, MSan's uninitialised slots and words TSan
 * never saw written, so an instrumented or intercepted copy (the
 * memcpy interceptor) reports them and kills the host at its first
 * sample. So the copy is a routine of our own that no compiler may
 * instrument (the attributes) nor turn back into a call to memcpy (x86_64:
 * one `rep movsb`, within 0.25 us of glibc's memcpy for 16 KiB; elsewhere
 * a word loop whose empty asm stops the loop-idiom pass). */

PROF__SIGSAFE PROF__NO_SANITIZE static void
prof__raw_copy(unsigned char *dst, const unsigned char *src, size_t n) {
#if defined(__x86_64__)
  __asm__ volatile("rep movsb"
                   : "+D"(dst), "+S"(src), "+c"(n)
                   :
                   : "memory");
#else
  for (; n >= 8; n -= 8, dst += 8, src += 8) {
    uint64_t w;
    __builtin_memcpy(&w, src, 8); /* one load: not a call */
    __builtin_memcpy(dst, &w, 8);
    __asm__ volatile("" ::: "memory");
  }
  for (; n > 0; n--)
    *dst++ = *src++;
#endif
}

/* process_vm_readv stops at the first unreadable page, but only at iovec
 * granularity, so the remote range is split at page boundaries: a stack
 * whose top is nearer than max_bytes then copies every readable page
 * instead of nothing. A garbage sp near 2^64 is clamped, not wrapped. */
PROF__SIGSAFE static void prof__capture_readv(struct prof__sample *smp,
                                              size_t max_bytes, pid_t pid) {
  uint64_t sp = prof__arch_sp(&smp->regs);
  if (max_bytes > UINT64_MAX - sp)
    max_bytes = (size_t)(UINT64_MAX - sp);
  struct iovec local = {smp->stack, max_bytes};
  struct iovec remote[PROF__CAPTURE_IOV];
  int n = 0;
  uint64_t at = sp, end = sp + max_bytes;
  while (at < end && n < PROF__CAPTURE_IOV) {
    uint64_t room = PROF__PAGE - (at & (PROF__PAGE - 1));
    uint64_t next = room < end - at ? at + room : end;
    remote[n].iov_base = (void *)at;
    remote[n].iov_len = next - at;
    n++;
    at = next;
  }
  /* The raw system call, not libc's wrapper: sanitizers intercept that
   * one and would record the write into the ring slot (see above). */
  long got = n ? syscall(SYS_process_vm_readv, pid, &local, 1UL, remote,
                         (unsigned long)n, 0UL)
               : 0;
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
  prof__raw_copy(smp->stack, (const unsigned char *)sp, n);
  smp->stack_addr = sp;
  smp->stack_len = (uint32_t)n;
}
