/* The signal handler. Everything it calls is marked PROF__SIGSAFE:
 * no malloc, no locks, no stdio, only initial-exec TLS, bounded time. */
#include <errno.h>
#include <string.h>

#include "sigpath/sampler.h"
#include "sigpath/slice.h"
#include "sigpath/stats.h"
#include "sigpath/thread.h"
#include "sigpath/capture.h"
#include "sigpath/python.h"

struct prof__sampler *_Atomic prof__active;
_Atomic int prof__handlers_running;

PROF__SIGSAFE static void prof__take_sample(struct prof__sampler *s,
                                            const siginfo_t *si, void *uc) {
  uint64_t ticket, now;
  int32_t tid = prof__thread_tid();
  uint64_t weight = prof__thread_weight(s, tid, &now);
  prof__jitter_rearm(s, si, tid);
  atomic_fetch_add_explicit(&prof__stats.taken, 1, memory_order_relaxed);
  struct prof__sample *smp = prof__ring_claim(&s->ring, &ticket);
  if (!smp) { /* counted by the ring; keep the lost time too */
    atomic_fetch_add_explicit(&prof__stats.dropped_ns, weight,
                              memory_order_relaxed);
    return;
  }
  smp->tid = tid;
  smp->time_ns = now;
  smp->weight_ns = weight;
  smp->flags = 0;
  prof__arch_regs_from_ucontext(uc, &smp->regs);
  prof__stack_capture(smp, s->stack_bytes, s->pid, prof__tls.stack_lo,
                      prof__tls.stack_hi);
  prof__slice_capture(smp, uc);
  prof__python_capture(smp, s->pid);
  prof__ring_publish(&s->ring, ticket);
}

/* Any signal of the configured number takes a sample, whoever sent it:
 * timer, tgkill or raise (the deterministic tests rely on that). The
 * running-handlers count is raised before the session is read, so that
 * prof_stop, which clears prof__active and then waits for the count to
 * reach zero, never frees a session a handler still uses. */
void prof__on_signal(int sig, siginfo_t *si, void *uc) {
  int saved_errno = errno;
  atomic_fetch_add(&prof__handlers_running, 1);
  struct prof__sampler *s = atomic_load(&prof__active);
  if (s)
    prof__take_sample(s, si, uc);
  atomic_fetch_sub(&prof__handlers_running, 1);
  errno = saved_errno;
}

int prof__handler_is_ours(const struct sigaction *sa) {
  return (sa->sa_flags & SA_SIGINFO) && sa->sa_sigaction == prof__on_signal;
}

/* SA_ONSTACK: threads on a small alternate stack (Go's gsignal stacks)
 * keep using it; SA_RESTART: most system calls the signal interrupts
 * restart (docs/sampling.md, EINTR). Every signal is blocked while the
 * handler runs (a few microseconds): no handler of the program, nor
 * libprof's ending handler, ever runs nested inside it, where it would
 * wait for a prof_stop that waits for this handler to finish. */
void prof__handler_action(struct sigaction *sa) {
  memset(sa, 0, sizeof(*sa));
  sa->sa_sigaction = prof__on_signal;
  sa->sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
  sigfillset(&sa->sa_mask);
}
