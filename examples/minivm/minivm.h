/* minivm: a small bytecode VM, libprof's reference managed runtime.
 *
 * A script is a list of functions (`fn name(a, b) { ... }`) over integers,
 * arrays and function values. It is compiled to stack bytecode, one code
 * array per function with a parallel line table, and run by an interpreter
 * loop that keeps the script's call frames in its own frame stack (script
 * calls do not recurse on the C stack). Native functions written in C can
 * call back into script code through vm_run().
 *
 * Everything libprof needs is in prof_hooks.c; the crossings are marked in
 * vm.c (vm_run, call_native). docs/runtime-integration.md walks through it.
 *
 * Threading: a program is immutable after compilation and may be shared;
 * each thread runs its own struct mv_vm.
 */
#ifndef MINIVM_H
#define MINIVM_H

#include <stddef.h>
#include <stdint.h>

/* ---- values ------------------------------------------------------------ */

enum mv_tag { MV_INT = 0, MV_ARRAY, MV_FUNC };

struct mv_array;

typedef struct mv_value {
  enum mv_tag tag;
  union {
    int64_t i;          /* MV_INT; MV_FUNC: function index */
    struct mv_array *a; /* MV_ARRAY */
  } as;
} mv_value;

/* Arrays are never moved or freed before their VM: there is no collector,
 * every array is on the VM's list and goes with mv_vm_free(). */
struct mv_array {
  int64_t len;
  mv_value *items;
  struct mv_array *next;
};

static inline mv_value mv_int(int64_t i) {
  mv_value v = {MV_INT, {.i = i}};
  return v;
}

/* ---- bytecode ----------------------------------------------------------- */

/* One int32 word per opcode, followed by its operands. Calls are all
 * MV_CALL_LEN words long, so a return resumes the caller at a fixed
 * distance from the call instruction it published. */
enum mv_op {
  OP_CONST,    /* lo hi: push the int64 (hi << 32 | lo)            */
  OP_FUNC,     /* f: push function value f                        */
  OP_LOAD,     /* slot                                             */
  OP_STORE,    /* slot: local = top (top stays)                    */
  OP_POP,
  OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,
  OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE,
  OP_NEG, OP_NOT, OP_BOOL,
  OP_JMP,      /* target (offset in this function's code)          */
  OP_JZ,       /* target: pop, jump if falsy                       */
  OP_CALL,     /* f argc: call script function f                   */
  OP_CALLV,    /* argc 0: call the function value below the args   */
  OP_NATIVE,   /* n argc: call native function n                   */
  OP_RET,
  OP_INDEX,    /* array index -> item                              */
  OP_SETINDEX, /* array index value -> value                       */
  OP_ARRAY     /* n: pop n items, push a new array of them         */
};
#define MV_CALL_LEN 3

struct mv_function {
  char *name;
  int line;        /* line of its `fn` keyword */
  int nparams;
  int nlocals;     /* parameters included */
  int max_stack;   /* deepest operand stack, computed by the compiler */
  int32_t *code;
  uint32_t *lines; /* lines[k]: source line of code word k */
  size_t ncode, cap;
};

struct mv_program {
  char *path;      /* script path as opened; what the symbolizer reports */
  struct mv_function *fns;
  size_t nfns;
  unsigned prof_id; /* 0 until prof_hooks.c attached it (then kept alive) */
};

/* ---- the VM ------------------------------------------------------------- */

#define MV_MAX_FRAMES 1024
#define MV_STACK_SLOTS (1u << 16)

/* One script activation record. `ip` is stored by the interpreter at every
 * instruction so that the profiler's traceback, which runs in a signal
 * handler on this thread, sees where each frame is; volatile keeps the
 * compiler from merging or dropping those stores. */
struct mv_frame {
  const struct mv_function *fn;
  const int32_t *volatile ip; /* current instruction; a call while calling */
  mv_value *base;             /* locals, then the operand stack */
  mv_value *ret_slot;         /* where the caller wants the result */
  uint32_t fn_index;
};

struct mv_vm;

/* A saved managed execution point, handed to libprof by the context hook at
 * a script -> native crossing (see prof_hooks.c). */
struct mv_ctx {
  struct mv_vm *vm;
  uintptr_t pc;     /* the calling frame's PC at the crossing */
  uint32_t top;     /* frame count at the crossing */
  uint32_t base;    /* first frame of that activation */
  int live;
};

struct mv_vm {
  const struct mv_program *prog;
  int prof_rt;                /* libprof runtime id, or -1 */
  /* Frames [act_base, nframes) belong to the innermost activation of the
   * interpreter, the one most recently entered from native code. Both are
   * read by the traceback hook inside the signal handler. */
  volatile uint32_t nframes;
  volatile uint32_t act_base;
  mv_value *sp;               /* value stack top while native code runs */
  mv_value *stack, *stack_end;
  struct mv_array *arrays;
  int error;
  char errmsg[512];
  unsigned long ctx_taken, ctx_released, ctx_misuse;
  struct mv_frame frames[MV_MAX_FRAMES];
  struct mv_ctx ctx[MV_MAX_FRAMES]; /* one per frame: a frame makes at most
                                       one native call at a time */
};

/* The VM running script code on this thread (innermost, if VMs nest).
 * Initial-exec TLS: reading it from a signal handler never allocates. */
extern __thread struct mv_vm *mv_current_vm
    __attribute__((tls_model("initial-exec")));

/* ---- API ----------------------------------------------------------------- */

/* Compiles src; path is kept for error messages and the symbolizer.
 * On error returns NULL with "path:line: message" in err. */
struct mv_program *mv_compile(const char *path, const char *src, char *err,
                              size_t errlen);
/* Reads and compiles a file. */
struct mv_program *mv_load(const char *path, char *err, size_t errlen);
/* Frees prog unless the profiler holds on to it (see prof_hooks.c). */
void mv_program_free(struct mv_program *prog);
/* Index of the function called name, or -1. */
int mv_find_function(const struct mv_program *prog, const char *name);

/* A VM for prog on the calling thread. NULL if out of memory. */
struct mv_vm *mv_vm_new(struct mv_program *prog);
void mv_vm_free(struct mv_vm *vm);

/* Calls the script function fn with args, from native code (the program's
 * entry or a native function calling back). On a runtime error returns 0
 * with vm->error set; callers must then return promptly. */
mv_value vm_run(struct mv_vm *vm, mv_value fn, const mv_value *args,
                int argc);

/* Records a runtime error at the current script line (first one wins) and
 * returns the int 0, so natives can `return mv_error(...)`. */
mv_value mv_error(struct mv_vm *vm, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A new zero-filled array owned by vm, or NULL (error set). */
struct mv_array *mv_array_new(struct mv_vm *vm, int64_t len);

/* ---- natives ------------------------------------------------------------- */

typedef mv_value (*mv_native_fn)(struct mv_vm *vm, mv_value *args, int argc);

struct mv_native {
  const char *name;
  int arity;        /* -1: any number of arguments */
  mv_native_fn fn;
};

/* Index of the native called name (len bytes), or -1. */
int mv_native_find(const char *name, size_t len);
const struct mv_native *mv_native_get(int index);

/* ---- libprof integration (prof_hooks.c) ---------------------------------- */

/* Registers the "minivm" runtime with libprof once per process and makes
 * prog's PCs symbolizable. Returns the runtime id, or -1 when profiling
 * support is unavailable (the VM then runs without crossings). */
int mv_prof_attach(struct mv_program *prog);

/* The runtime-defined "PC" of a frame: program, function and bytecode
 * offset packed into one non-zero word. AS-safe. */
uintptr_t mv_prof_frame_pc(const struct mv_vm *vm, const struct mv_frame *fr);

#endif /* MINIVM_H */
