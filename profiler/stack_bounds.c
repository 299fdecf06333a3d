/* Per-thread facts the handler needs and may not compute itself. */
#include <pthread.h>

#include "sigpath/thread.h"

void prof__thread_note_stack(void) {
  pthread_attr_t attr;
  void *addr;
  size_t size;
  if (prof__tls.stack_hi || pthread_getattr_np(pthread_self(), &attr) != 0)
    return;
  if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
    /* Published for the handler on this same thread: lo before hi, and
     * the handler trusts the pair only when hi is set. */
    prof__tls.stack_lo = (uintptr_t)addr;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    prof__tls.stack_hi = (uintptr_t)addr + size;
  }
  pthread_attr_destroy(&attr);
}

