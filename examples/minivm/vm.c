/* The minivm interpreter and its two language crossings.
 *
 * Script-to-script calls push a struct mv_frame and stay in the same C
 * invocation of interpret(); only crossings touch the C stack:
 *   native -> script: vm_run() (the program's entry and every callback),
 *   script -> native: call_native().
 * Each crossing is marked for libprof right around the call that crosses,
 * in the function that makes it, because libprof records that function's
 * stack pointer (docs/runtime-integration.md, "Where to call them").
 *
 * The frame stack is read by the profiler's traceback hook from a signal
 * handler on this thread, at any instruction. So a frame is written
 * completely before nframes makes it visible, with a signal fence between
 * (a compiler barrier: the handler runs on this CPU, in program order).
 */
#include "minivm.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef MV_NO_LIBPROF
/* Built without libprof (the VM's own correctness test): crossings vanish. */
#define prof_enter_managed(rt) ((void)(rt))
#define prof_leave_managed(rt) ((void)(rt))
#define prof_enter_native(rt) ((void)(rt))
#define prof_leave_native(rt) ((void)(rt))
#else
#include <libprof.h>
#endif

__thread struct mv_vm *mv_current_vm
    __attribute__((tls_model("initial-exec")));

struct mv_vm *mv_vm_new(struct mv_program *prog) {
  struct mv_vm *vm = calloc(1, sizeof *vm);
  if (!vm) return NULL;
  vm->stack = calloc(MV_STACK_SLOTS, sizeof *vm->stack);
  if (!vm->stack) {
    free(vm);
    return NULL;
  }
  vm->prog = prog;
  vm->sp = vm->stack;
  vm->stack_end = vm->stack + MV_STACK_SLOTS;
  vm->prof_rt = mv_prof_attach(prog);
  return vm;
}

void mv_vm_free(struct mv_vm *vm) {
  if (!vm) return;
  for (struct mv_array *a = vm->arrays, *next; a; a = next) {
    next = a->next;
    free(a->items);
    free(a);
  }
  free(vm->stack);
  free(vm);
}

struct mv_array *mv_array_new(struct mv_vm *vm, int64_t len) {
  if (len < 0 || len > (INT64_C(1) << 28)) {
    mv_error(vm, "bad array length %lld", (long long)len);
    return NULL;
  }
  struct mv_array *a = malloc(sizeof *a);
  mv_value *items = calloc(len ? (size_t)len : 1, sizeof *items);
  if (!a || !items) {
    free(a), free(items);
    mv_error(vm, "out of memory");
    return NULL;
  }
  *a = (struct mv_array){len, items, vm->arrays};
  vm->arrays = a;
  return a;
}

mv_value mv_error(struct mv_vm *vm, const char *fmt, ...) {
  if (vm->error) return mv_int(0);
  vm->error = 1;
  const struct mv_frame *fr = vm->nframes ? &vm->frames[vm->nframes - 1] : 0;
  int n = 0;
  if (fr)
    n = snprintf(vm->errmsg, sizeof vm->errmsg, "%s:%u: in %s: ",
                 vm->prog->path, fr->fn->lines[fr->ip - fr->fn->code],
                 fr->fn->name);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(vm->errmsg + n, sizeof vm->errmsg - (size_t)n, fmt, ap);
  va_end(ap);
  return mv_int(0);
}

/* Makes frame vm->nframes the running frame of function fi, whose argc
 * arguments are at args[0..argc). Returns it, or NULL with an error. */
static struct mv_frame *push_frame(struct mv_vm *vm, uint32_t fi,
                                   mv_value *args, int argc,
                                   mv_value *ret_slot) {
  const struct mv_function *fn = &vm->prog->fns[fi];
  uint32_t n = vm->nframes;
  if (argc != fn->nparams)
    return mv_error(vm, "%s takes %d argument(s), not %d", fn->name,
                    fn->nparams, argc), NULL;
  if (n == MV_MAX_FRAMES ||
      args + fn->nlocals + fn->max_stack > vm->stack_end)
    return mv_error(vm, "stack overflow calling %s", fn->name), NULL;
  for (int k = argc; k < fn->nlocals; k++) args[k] = mv_int(0);
  struct mv_frame *fr = &vm->frames[n];
  fr->fn = fn;
  fr->fn_index = fi;
  fr->base = args;
  fr->ret_slot = ret_slot;
  fr->ip = fn->code;
  /* Publish: the traceback reads frames [act_base, nframes) only. */
  atomic_signal_fence(memory_order_release);
  vm->nframes = n + 1;
  return fr;
}

/* OP_CALL / OP_CALLV at ip, arguments on top of sp. */
static struct mv_frame *call_script(struct mv_vm *vm, const int32_t *ip,
                                    mv_value *sp) {
  if (ip[0] == OP_CALL)
    return push_frame(vm, (uint32_t)ip[1], sp - ip[2], ip[2], sp - ip[2]);
  mv_value *callee = sp - ip[1] - 1;
  if (callee->tag != MV_FUNC)
    return mv_error(vm, "calling a value that is not a function"), NULL;
  return push_frame(vm, (uint32_t)callee->as.i, callee + 1, ip[1], callee);
}

/* Script -> native. The crossing is marked here, in the function that
 * calls nat->fn: libprof records this function's stack pointer, and every
 * frame of the native callee lies below it. */
static mv_value *call_native(struct mv_vm *vm, int index, int argc,
                             mv_value *sp) {
  const struct mv_native *nat = mv_native_get(index);
  mv_value *args = sp - argc, r;
  vm->sp = sp; /* callbacks into script push above our operands */
  if (vm->prof_rt >= 0) prof_enter_native(vm->prof_rt);
  r = nat->fn(vm, args, argc);
  if (vm->prof_rt >= 0) prof_leave_native(vm->prof_rt);
  *args = r;
  return args + 1;
}

static mv_value *index_op(struct mv_vm *vm, mv_value *sp, int store) {
  mv_value *a = sp - 2 - store, *i = sp - 1 - store;
  if (a->tag != MV_ARRAY || i->tag != MV_INT)
    return mv_error(vm, "indexing needs an array and an integer"), NULL;
  if (i->as.i < 0 || i->as.i >= a->as.a->len)
    return mv_error(vm, "index %lld out of range 0..%lld",
                    (long long)i->as.i, (long long)a->as.a->len - 1), NULL;
  if (store) a->as.a->items[i->as.i] = sp[-1];
  *a = store ? sp[-1] : a->as.a->items[i->as.i];
  return a + 1;
}

static mv_value *array_op(struct mv_vm *vm, mv_value *sp, int n) {
  struct mv_array *a = mv_array_new(vm, n);
  if (!a) return NULL;
  memcpy(a->items, sp - n, (size_t)n * sizeof *sp);
  sp[-n] = (mv_value){MV_ARRAY, {.a = a}};
  return sp - n + 1;
}

static int truthy(mv_value v) { return v.tag != MV_INT || v.as.i != 0; }

static int equal(mv_value a, mv_value b) {
  return a.tag == b.tag && (a.tag == MV_ARRAY ? a.as.a == b.as.a
                                              : a.as.i == b.as.i);
}

/* Integer arithmetic wraps (computed unsigned) instead of being UB. */
static int arith(struct mv_vm *vm, int op, mv_value *a, mv_value b) {
  uint64_t x = (uint64_t)a->as.i, y = (uint64_t)b.as.i;
  if (op == OP_EQ || op == OP_NE) {
    *a = mv_int(equal(*a, b) == (op == OP_EQ));
    return 0;
  }
  if (a->tag != MV_INT || b.tag != MV_INT)
    return mv_error(vm, "arithmetic on a non-integer"), -1;
  if ((op == OP_DIV || op == OP_MOD) &&
      (b.as.i == 0 || (a->as.i == INT64_MIN && b.as.i == -1)))
    return mv_error(vm, b.as.i ? "division overflow" : "division by zero"),
           -1;
  switch (op) {
  case OP_ADD: a->as.i = (int64_t)(x + y); break;
  case OP_SUB: a->as.i = (int64_t)(x - y); break;
  case OP_MUL: a->as.i = (int64_t)(x * y); break;
  case OP_DIV: a->as.i = a->as.i / b.as.i; break;
  case OP_MOD: a->as.i = a->as.i % b.as.i; break;
  case OP_LT: a->as.i = a->as.i < b.as.i; break;
  case OP_LE: a->as.i = a->as.i <= b.as.i; break;
  case OP_GT: a->as.i = a->as.i > b.as.i; break;
  default: a->as.i = a->as.i >= b.as.i; break;
  }
  return 0;
}

/* -x, !x, and x normalized to 0/1. */
static int unary_op(struct mv_vm *vm, int op, mv_value *v) {
  if (op == OP_NEG && v->tag != MV_INT)
    return mv_error(vm, "negating a non-integer"), -1;
  if (op == OP_NEG)
    v->as.i = (int64_t)(0 - (uint64_t)v->as.i);
  else
    *v = mv_int(truthy(*v) == (op == OP_BOOL));
  return 0;
}

/* OP_RET: unpublishes the top frame first (the handler must not read a
 * slot that is about to be reused), then returns the caller's frame, or
 * NULL when the activation's first frame has returned. */
static struct mv_frame *pop_frame(struct mv_vm *vm) {
  uint32_t n = vm->nframes - 1;
  vm->nframes = n;
  atomic_signal_fence(memory_order_release);
  return n == vm->act_base ? NULL : &vm->frames[n - 1];
}

/* Abandons this activation's frames after an error. */
static mv_value unwind(struct mv_vm *vm) {
  vm->nframes = vm->act_base;
  atomic_signal_fence(memory_order_release);
  return mv_int(0);
}

/* Runs the top frame until the activation's first frame returns.
 * fr->ip is stored before each instruction: that is the frame's PC for
 * the profiler and the line for error messages. */
static __attribute__((noinline)) mv_value interpret(struct mv_vm *vm) {
  struct mv_frame *fr = &vm->frames[vm->nframes - 1];
  const int32_t *ip = fr->ip;
  mv_value *sp = fr->base + fr->fn->nlocals, *locals = fr->base, r;
  for (;;) {
    fr->ip = ip;
    switch (ip[0]) {
    case OP_CONST:
      *sp++ = mv_int((int64_t)((uint64_t)(uint32_t)ip[1] |
                               (uint64_t)(uint32_t)ip[2] << 32));
      ip += 3;
      break;
    case OP_FUNC:
      *sp++ = (mv_value){MV_FUNC, {.i = ip[1]}};
      ip += 2;
      break;
    case OP_LOAD: *sp++ = locals[ip[1]]; ip += 2; break;
    case OP_STORE: locals[ip[1]] = sp[-1]; ip += 2; break;
    case OP_POP: sp--; ip++; break;
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_MOD:
    case OP_LT: case OP_LE: case OP_GT: case OP_GE: case OP_EQ: case OP_NE:
      if (arith(vm, ip[0], &sp[-2], sp[-1]) < 0) return unwind(vm);
      sp--, ip++;
      break;
    case OP_NEG: case OP_NOT: case OP_BOOL:
      if (unary_op(vm, ip[0], &sp[-1]) < 0) return unwind(vm);
      ip++;
      break;
    case OP_JMP: ip = fr->fn->code + ip[1]; break;
    case OP_JZ: sp--, ip = truthy(*sp) ? ip + 2 : fr->fn->code + ip[1]; break;
    case OP_CALL: case OP_CALLV:
      if (!(fr = call_script(vm, ip, sp))) return unwind(vm);
      ip = fr->ip, locals = fr->base, sp = locals + fr->fn->nlocals;
      break;
    case OP_RET:
      r = sp[-1], sp = fr->ret_slot;
      if (!(fr = pop_frame(vm))) return r;
      *sp++ = r;
      ip = fr->ip + MV_CALL_LEN, locals = fr->base;
      break;
    case OP_NATIVE:
      sp = call_native(vm, ip[1], ip[2], sp);
      if (vm->error) return unwind(vm);
      ip += 3;
      break;
    case OP_INDEX: case OP_SETINDEX:
      if (!(sp = index_op(vm, sp, ip[0] == OP_SETINDEX))) return unwind(vm);
      ip++;
      break;
    case OP_ARRAY:
      if (!(sp = array_op(vm, sp, ip[1]))) return unwind(vm);
      ip += 2;
      break;
    default:
      return mv_error(vm, "bad opcode %d", ip[0]), unwind(vm);
    }
  }
}

/* Native -> script: calls fn(args) and returns its result. Used for the
 * program's entry and by natives calling back (sort's comparator, call()).
 *
 * The activation's bookkeeping is set up before prof_enter_managed and torn
 * down after prof_leave_managed, so that whenever libprof believes this
 * thread runs managed code, the traceback hook finds this activation:
 * act_base = its first frame, mv_current_vm = this VM. */
__attribute__((noinline)) mv_value vm_run(struct mv_vm *vm, mv_value fn,
                                          const mv_value *args, int argc) {
  struct mv_vm *outer_vm = mv_current_vm;
  uint32_t outer_base = vm->act_base;
  mv_value *base = vm->sp, r;
  if (vm->error) return mv_int(0);
  if (fn.tag != MV_FUNC || (uint64_t)fn.as.i >= vm->prog->nfns)
    return mv_error(vm, "not a function");
  if (argc < 0 || base + argc > vm->stack_end)
    return mv_error(vm, "stack overflow");
  memcpy(base, args, (size_t)argc * sizeof *args);
  vm->act_base = vm->nframes;
  mv_current_vm = vm;
  atomic_signal_fence(memory_order_release);
  if (!push_frame(vm, (uint32_t)fn.as.i, base, argc, base)) {
    r = mv_int(0);
  } else {
    if (vm->prof_rt >= 0) prof_enter_managed(vm->prof_rt);
    r = interpret(vm);
    if (vm->prof_rt >= 0) prof_leave_managed(vm->prof_rt);
  }
  vm->act_base = outer_base;
  mv_current_vm = outer_vm;
  vm->sp = base;
  return r;
}
