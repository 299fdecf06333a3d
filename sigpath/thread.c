/* The storage the handler reads: per-thread state (sigpath/thread.h),
 * the process-wide counters (sigpath/stats.h) and the runtime table
 * (sigpath/runtime.h; profiler/runtime.c registers into it). */
#include <sys/syscall.h>
#include <unistd.h>

#include "sigpath/runtime.h"
#include "sigpath/stats.h"
#include "sigpath/thread.h"

struct prof__slice prof__no_slice = {.len = PROF__SLICE_CAP};
__thread struct prof__tls prof__tls __attribute__((tls_model("initial-exec"))) =
    {.slice = &prof__no_slice};

struct prof__stats prof__stats;

struct prof__runtime prof__runtimes[PROF_MAX_RUNTIMES];
_Atomic uint32_t prof__runtimes_live;
void (*prof__runtimes_context[PROF_MAX_RUNTIMES])(void *);

/* A forked child's one thread has a new tid: session.c's fork handler
 * clears the cache before anything else. */
PROF__SIGSAFE int32_t prof__thread_tid(void) {
  int32_t tid = prof__tls.tid;
  if (tid == 0)
    prof__tls.tid = tid = (int32_t)syscall(SYS_gettid);
  return tid;
}
