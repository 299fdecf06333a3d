/* minivm's libprof integration: registration and the three hooks of the
 * hook contract (include/libprof.h, docs/runtime-integration.md).
 *
 *   traceback   runs inside libprof's SIGPROF handler, on the sampled
 *               thread: it only reads the VM's frame stack and writes PCs.
 *   context     runs in prof_enter_native / prof_leave_native: it saves the
 *               calling script frame and its PC, and later releases them.
 *   symbolizer  runs in libprof's collector thread: PC -> function, file,
 *               line. It may allocate; it needs none of that here.
 *
 * The crossings themselves are marked in vm.c (vm_run, call_native).
 */
#include "minivm.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

/* A minivm PC packs  program id (8 bits) | function (24) | offset (32).
 * Program ids start at 1, so a PC is never 0, and the symbolizer can tell
 * programs apart when several scripts run in one process. */
#define PC_PROG_SHIFT 56
#define PC_FN_SHIFT 32
#define PC_FN_MASK 0xffffffu
#define MAX_PROGRAMS 255u
#define MV_PC(prog, fn, off)                                                \
  ((uintptr_t)(prog) << PC_PROG_SHIFT | (uintptr_t)(fn) << PC_FN_SHIFT |    \
   (uintptr_t)(uint32_t)(off))

_Static_assert(sizeof(uintptr_t) == 8, "minivm PCs need 64-bit words");

/* Reads only the frame (published before it was made visible) and the
 * immutable program: AS-safe. */
uintptr_t mv_prof_frame_pc(const struct mv_vm *vm, const struct mv_frame *fr) {
  const int32_t *ip = fr->ip;
  return MV_PC(vm->prog->prof_id, fr->fn_index, ip - fr->fn->code);
}

#ifdef MV_NO_LIBPROF

int mv_prof_attach(struct mv_program *prog) {
  (void)prog;
  return -1;
}

#else
#include <libprof.h>

/* ---- traceback: inside the signal handler ---------------------------------
 * Only loads and stores: no locks, no allocation, no stdio, no errno. It
 * reads frames [base, top) of one activation, innermost first, and stops at
 * `base`, the frame that native code entered: frames below it belong to an
 * outer activation, which libprof asks for through another record. */
static void mv_traceback(void *arg) {
  struct prof_traceback_arg *a = arg;
  const struct mv_vm *vm;
  uint32_t top, base;
  uintptr_t n = 0;
  if (a->context) { /* a script -> native crossing saved by mv_context */
    const struct mv_ctx *c = (const struct mv_ctx *)a->context;
    vm = c->vm, top = c->top, base = c->base;
    if (top > base && n < a->max) { /* the caller, at its call instruction */
      a->buf[n++] = c->pc;
      top--;
    }
  } else { /* the thread is running script code right now */
    vm = mv_current_vm;
    top = vm ? vm->nframes : 0;
    base = vm ? vm->act_base : 0;
  }
  for (; top > base && n < a->max; top--)
    a->buf[n++] = mv_prof_frame_pc(vm, &vm->frames[top - 1]);
  if (n < a->max) a->buf[n] = 0;
}

/* ---- context: at the crossings, in normal context ------------------------
 * The saved point must stay valid and unchanged until its leave_native.
 * Records live in the VM, one slot per frame depth: a frame has at most
 * one native call in flight, so slot `top - 1` is free whenever that frame
 * crosses, the pool can never run out, and the record dies with its VM,
 * which always outlives the crossing. (A runtime with heap-allocated
 * frames would use a per-thread free list instead; malloc would be allowed
 * here, but it costs more than the crossing itself.) */
static struct mv_ctx no_script; /* native code reached with no VM running */

static void release(struct mv_ctx *c) {
  if (c == &no_script) return;
  if (!c->live) { /* released twice: a bug in the caller, counted */
    c->vm->ctx_misuse++;
    return;
  }
  c->live = 0;
  c->vm->ctx_released++;
}

static void mv_context(void *arg) {
  struct prof_context_arg *a = arg;
  if (a->context) {
    release((struct mv_ctx *)a->context);
    return;
  }
  struct mv_vm *vm = mv_current_vm;
  if (!vm || vm->nframes <= vm->act_base) {
    a->context = (uintptr_t)&no_script; /* must be non-zero */
    return;
  }
  uint32_t top = vm->nframes;
  struct mv_ctx *c = &vm->ctx[top - 1];
  if (c->live) vm->ctx_misuse++; /* its leave_native never came */
  *c = (struct mv_ctx){vm, mv_prof_frame_pc(vm, &vm->frames[top - 1]), top,
                       vm->act_base, 1};
  vm->ctx_taken++;
  a->context = (uintptr_t)c;
}

/* ---- symbolizer: in the collector thread ---------------------------------
 * Programs are registered here once and never freed afterwards (see
 * mv_program_free): the collector may symbolize at process exit, after the
 * VM that produced a PC is gone. */
struct attached {
  const struct mv_program *prog;
  char *file; /* absolute path, so viewers can open it */
};
static struct attached programs[MAX_PROGRAMS + 1]; /* by id; 0 unused */
static atomic_uint nprograms;
static pthread_mutex_t attach_lock = PTHREAD_MUTEX_INITIALIZER;

static void mv_symbolize(void *arg) {
  struct prof_symbolizer_arg *a = arg;
  unsigned id = (unsigned)(a->pc >> PC_PROG_SHIFT);
  unsigned fi = (unsigned)(a->pc >> PC_FN_SHIFT) & PC_FN_MASK;
  uint32_t off = (uint32_t)a->pc;
  a->file = a->func = NULL;
  a->lineno = a->entry = a->more = 0; /* no inlining: one frame per PC */
  if (a->pc == 0) return; /* end of batch: our strings outlive it */
  if (id == 0 || id > atomic_load_explicit(&nprograms, memory_order_acquire))
    return;
  const struct mv_program *prog = programs[id].prog;
  if (fi >= prog->nfns) return;
  const struct mv_function *f = &prog->fns[fi];
  a->func = f->name;
  a->file = programs[id].file;
  a->lineno = off < f->ncode ? f->lines[off] : (uintptr_t)f->line;
  a->entry = MV_PC(id, fi, 0);
}

/* ---- registration -------------------------------------------------------- */

static int runtime_id = -1;
static pthread_once_t register_once = PTHREAD_ONCE_INIT;

static void register_runtime(void) {
  int rt = prof_runtime_register(0, "minivm", mv_traceback, mv_context,
                                 mv_symbolize);
  if (rt < 0) /* not fatal: the script runs, its frames stay unnamed */
    fprintf(stderr, "minivm: libprof: %s; profiles will lack script frames\n",
            prof_strerror(rt));
  runtime_id = rt;
}

int mv_prof_attach(struct mv_program *prog) {
  pthread_once(&register_once, register_runtime);
  if (runtime_id < 0) return -1;
  pthread_mutex_lock(&attach_lock);
  unsigned n = atomic_load_explicit(&nprograms, memory_order_relaxed);
  if (!prog->prof_id && n < MAX_PROGRAMS) {
    char *file = realpath(prog->path, NULL);
    programs[n + 1] = (struct attached){prog, file ? file : prog->path};
    prog->prof_id = n + 1;
    /* The symbolizer reads programs[id] only for id <= nprograms. */
    atomic_store_explicit(&nprograms, n + 1, memory_order_release);
  }
  pthread_mutex_unlock(&attach_lock);
  return prog->prof_id ? runtime_id : -1;
}

#endif /* MV_NO_LIBPROF */
