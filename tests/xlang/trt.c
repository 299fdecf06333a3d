#define _GNU_SOURCE
#include "trt.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "libprof.h"

struct trt_ids trt;

/* A managed frame; `entry` marks the first frame of an activation. */
struct trt_frame {
  uintptr_t pc;
  int entry;
};

static __thread struct trt_frame stack[TRT_MAX_FRAMES]
    __attribute__((tls_model("initial-exec")));
static __thread volatile int depth __attribute__((tls_model("initial-exec")));

static const char *names[256];
static atomic_int nnames;
static atomic_long ctx_alloc, ctx_release, ctx_bad, sym_end, sym_calls;
static atomic_int ctx_slots[1024];

uintptr_t trt_pc(const char *name) {
  int n = atomic_load(&nnames);
  for (int i = 0; i < n; i++)
    if (strcmp(names[i], name) == 0)
      return (uintptr_t)(i + 1) * 16;
  int i = atomic_fetch_add(&nnames, 1);
  names[i] = name;
  return (uintptr_t)(i + 1) * 16;
}

/* traceback: runs in the signal handler; plain loads only. */
static void walk(struct prof_traceback_arg *a, int top) {
  uintptr_t n = 0;
  for (int i = top; i >= 0 && n < a->max; i--) {
    a->buf[n++] = stack[i].pc;
    if (stack[i].entry)
      break;
  }
  if (n < a->max)
    a->buf[n] = 0;
}

static void traceback(void *p) {
  struct prof_traceback_arg *a = p;
  int top = a->context ? atomic_load(&ctx_slots[a->context - 1]) - 2
                       : depth - 1;
  walk(a, top);
}

static uintptr_t greedy_pc;

static void greedy_traceback(void *p) {
  struct prof_traceback_arg *a = p;
  for (uintptr_t i = 0; i < a->max; i++)
    a->buf[i] = greedy_pc; /* never a 0 */
}

/* A context is a pool slot holding the managed depth at the crossing,
 * plus one (so that depth 0 is still a non-zero slot value). */
static void context(void *p) {
  struct prof_context_arg *a = p;
  if (a->context == 0) {
    for (int i = 0; i < 1024; i++) {
      int expect = 0;
      if (atomic_compare_exchange_strong(&ctx_slots[i], &expect, depth + 1)) {
        a->context = (uintptr_t)i + 1;
        atomic_fetch_add(&ctx_alloc, 1);
        return;
      }
    }
    return;
  }
  int old = atomic_exchange(&ctx_slots[a->context - 1], 0);
  atomic_fetch_add(old ? &ctx_release : &ctx_bad, 1);
}

static void symbolize_into(struct prof_symbolizer_arg *a, int two) {
  atomic_fetch_add(&sym_calls, 1);
  if (a->pc == 0) {
    atomic_fetch_add(&sym_end, 1);
    return;
  }
  size_t i = a->pc / 16 - 1;
  a->func = i < (size_t)atomic_load(&nnames) ? names[i] : NULL;
  a->file = "test.trt";
  a->lineno = i + 1;
  a->entry = a->pc;
  /* Go's contract keeps every field between calls, so each answer sets
   * `more` and `data` itself. */
  if (two && a->data == 0) { /* first call: the inlined callee */
    a->func = "inl_inner";
    a->data = 1;
    a->more = 1;
  } else {
    a->data = 0;
    a->more = 0;
  }
}

static void symbolizer(void *p) { symbolize_into(p, 0); }
static void inl_symbolizer(void *p) { symbolize_into(p, 1); }

void trt_init(void) {
  greedy_pc = trt_pc("greedy");
  trt.a = prof_runtime_register(0, "rtA", traceback, context, symbolizer);
  trt.b = prof_runtime_register(0, "rtB", traceback, context, symbolizer);
  trt.inl = prof_runtime_register(0, "rtInl", traceback, context,
                                  inl_symbolizer);
  trt.greedy = prof_runtime_register(0, "rtGreedy", greedy_traceback, NULL,
                                     symbolizer);
  trt.noctx = prof_runtime_register(0, "rtNoCtx", traceback, NULL,
                                    symbolizer);
}

/* The frame is fully written before depth publishes it, and depth drops
 * before the frame is reused, so the handler never reads a torn frame. */
static void push(uintptr_t pc, int entry) {
  int d = depth;
  stack[d].pc = pc;
  stack[d].entry = entry;
  atomic_signal_fence(memory_order_release);
  depth = d + 1;
}

static void pop(void) { depth = depth - 1; }

static __attribute__((noinline)) void interp(uintptr_t pc, int entry,
                                             void (*body)(void)) {
  push(pc, entry);
  body();
  pop();
  __asm__ volatile("" ::: "memory"); /* keep this a real frame */
}

__attribute__((noinline)) void run_managed(int rt, uintptr_t pc,
                                           void (*body)(void)) {
  prof_enter_managed(rt);
  interp(pc, 1, body);
  prof_leave_managed(rt);
}

__attribute__((noinline)) void call_managed(uintptr_t pc, void (*body)(void)) {
  interp(pc, 0, body);
}

__attribute__((noinline)) void native_call(int rt, void (*fn)(void)) {
  prof_enter_native(rt);
  fn();
  prof_leave_native(rt);
  __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void take_sample(void) {
#if defined(__x86_64__)
  long ret;
  long pid = getpid(), tid = syscall(SYS_gettid);
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "0"((long)SYS_tgkill), "D"(pid), "S"(tid), "d"(SIGPROF)
                   : "rcx", "r11", "memory");
#else
  raise(SIGPROF);
#endif
}

void trt_counts(struct trt_counts *out) {
  out->ctx_alloc = atomic_load(&ctx_alloc);
  out->ctx_release = atomic_load(&ctx_release);
  out->ctx_bad_release = atomic_load(&ctx_bad);
  out->sym_end_calls = atomic_load(&sym_end);
  out->sym_calls = atomic_load(&sym_calls);
}
