/* Per-thread state, in initial-exec TLS.
 *
 * Why initial-exec: the signal handler reads it, and any other TLS model
 * may call __tls_get_addr, which can allocate on a thread's first access.
 * libprof.so is loaded at start-up (linked or LD_PRELOAD), so its static
 * TLS block always exists. */
#ifndef PROF_SIGPATH_THREAD_H
#define PROF_SIGPATH_THREAD_H

#include <stdatomic.h>
#include <stdint.h>

#include "arch/arch.h"
#include "sigpath/sample.h"

/* Crossing records a thread can nest before overflow is counted. */
#define PROF__SLICE_CAP 128

/* The context slice. Only its own thread writes it; the signal handler on
 * that same thread reads it, so signal fences (not atomics, not volatile)
 * order it:
 *   push: write rec[len], fence, len++
 *   pop:  len--, fence, release hook. */
struct prof__slice {
  uint32_t len;      /* published records                               */
  uint32_t overflow; /* pushes beyond capacity, not recorded (adjacent to */
  uint32_t tainted;  /* tainted: read as one word); tainted = a mismatched
                        leave happened, cleared when the slice empties   */
  struct prof__crossing rec[PROF__SLICE_CAP];
};

/* A thread's slice pointer starts at this shared sentinel, which is
 * always "full": so the crossing functions' one capacity check also
 * catches a thread without a slice yet. The handler treats it as none. */
PROF__HIDDEN extern struct prof__slice prof__no_slice;

struct prof__tls {
  struct prof__slice *slice; /* &prof__no_slice until the first crossing */
  uint64_t last_ns;          /* CPU (or wall) clock at the last sample  */
  uint32_t gen;              /* session generation of last_ns           */
  int32_t tid;               /* cached gettid(), 0 = not yet (fork: 0)  */
  uintptr_t stack_lo, stack_hi; /* this thread's stack, 0 = unknown     */
  uint64_t rng;              /* period generator state (jitter.c)       */
  uint32_t rng_gen;          /* session generation of rng               */
};

PROF__HIDDEN extern __thread struct prof__tls prof__tls
    __attribute__((tls_model("initial-exec")));

/* Notes the calling thread's stack bounds in its TLS, so that the handler
 * can copy the stack with memcpy (bounded by the stack's top) instead of
 * a process_vm_readv system call. Not AS-safe (pthread_getattr_np). Call
 * on a thread's start, and at prof_start and first crossing. */
PROF__HIDDEN void prof__thread_note_stack(void);

/* The calling thread's tid, cached. PROF__SIGSAFE. */
PROF__HIDDEN int32_t prof__thread_tid(void);

#endif
