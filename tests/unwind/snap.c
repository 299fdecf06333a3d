/* See snap.h. */
#include "snap.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sigpath/capture.h"
#include "unwind/unwind.h"

static struct snap_pool *_Atomic snap_target;

int snap_pool_init(struct snap_pool *p, uint32_t cap) {
  p->slot = (sizeof(struct prof__sample) + SNAP_STACK_BYTES + 63) & ~63ul;
  p->cap = cap;
  atomic_store(&p->n, 0);
  /* Mapped and touched now, so the handler never faults a page in. */
  p->mem = mmap(NULL, p->slot * cap, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p->mem == MAP_FAILED) {
    p->mem = NULL;
    return -1;
  }
  return 0;
}

void snap_pool_free(struct snap_pool *p) {
  if (p->mem)
    munmap(p->mem, p->slot * p->cap);
  p->mem = NULL;
}

struct prof__sample *snap_get(const struct snap_pool *p, uint32_t i) {
  return (struct prof__sample *)(p->mem + p->slot * i);
}

uint32_t snap_count(const struct snap_pool *p) {
  uint32_t n = atomic_load(&p->n);
  return n < p->cap ? n : p->cap;
}

static void snap_handler(int sig, siginfo_t *si, void *uc) {
  int saved = errno;
  struct snap_pool *p = atomic_load(&snap_target);
  uint32_t i = p ? atomic_fetch_add(&p->n, 1) : UINT32_MAX;
  if (p && i < p->cap) {
    struct prof__sample *s = snap_get(p, i);
    memset(s, 0, sizeof(*s));
    s->tid = (int32_t)gettid();
    prof__arch_regs_from_ucontext(uc, &s->regs);
    prof__stack_capture(s, SNAP_STACK_BYTES, getpid(), 0, 0);
  }
  errno = saved;
}

void snap_install(struct snap_pool *p) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sigemptyset(&sa.sa_mask);
  atomic_store(&snap_target, p);
  if (p) {
    sa.sa_sigaction = snap_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
  } else {
    sa.sa_handler = SIG_IGN;
  }
  sigaction(SIGPROF, &sa, NULL);
}
