/* The cgo hooks called directly, as Go's runtime calls them, in a plain C
 * program: the traceback from a ucontext, from a context record and from
 * garbage; the symbolizer's `more`/`data` handling when Go keeps stale
 * fields. (go/ runs them under Go's own runtime.) */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "cu_suite.h"
#include "libprof.h"

#define NOINLINE __attribute__((noinline))
#define KEEP() __asm__ volatile("" ::: "memory")
#define MAX 32

static uintptr_t buf[MAX];

/* The function name the symbolizer gives for the last frame of pc (the
 * physical function, after any inlined ones). */
static const char *func_of(uintptr_t pc) {
  struct prof_symbolizer_arg a = {.pc = pc};
  do
    prof_cgo_symbolizer(&a);
  while (a.more);
  return a.func ? a.func : "";
}

NOINLINE static void leaf_uc(void) {
  ucontext_t uc;
  getcontext(&uc);
  struct prof_traceback_arg a = {0, (uintptr_t)&uc, buf, MAX};
  prof_cgo_traceback(&a);
  KEEP();
}
NOINLINE static void mid_uc(void) { leaf_uc(); KEEP(); }
NOINLINE static void outer_uc(void) { mid_uc(); KEEP(); }

static void test_before_init(void) {
  buf[0] = 1234;
  outer_uc();
  CU_ASSERT_EQUAL(buf[0], 0);
}

static void test_from_sigcontext(void) {
  outer_uc();
  CU_ASSERT_STRING_EQUAL(func_of(buf[0]), "leaf_uc");
  CU_ASSERT_STRING_EQUAL(func_of(buf[1]), "mid_uc");
  CU_ASSERT_STRING_EQUAL(func_of(buf[2]), "outer_uc");
  CU_ASSERT_STRING_EQUAL(func_of(buf[3]), "test_from_sigcontext");
}

/* As cgo's export wrapper: a helper records the context (the helper's
 * frame is gone afterwards), then the wrapper "runs Go", which asks for
 * the traceback of that context. */
static uintptr_t ctx;
NOINLINE static void wait_helper(void) {
  struct prof_context_arg c = {0};
  prof_cgo_context(&c);
  ctx = c.context;
  KEEP();
}
NOINLINE static void export_wrapper(void) {
  wait_helper();
  memset(buf, 0xff, sizeof(buf));
  struct prof_traceback_arg a = {ctx, 0, buf, MAX};
  prof_cgo_traceback(&a);
  KEEP();
}
NOINLINE static void c_caller(void) { export_wrapper(); KEEP(); }

static void test_from_context(void) {
  c_caller();
  CU_ASSERT_NOT_EQUAL_FATAL(ctx, 0);
  CU_ASSERT_STRING_EQUAL(func_of(buf[0]), "export_wrapper");
  CU_ASSERT_STRING_EQUAL(func_of(buf[1]), "c_caller");
  CU_ASSERT_STRING_EQUAL(func_of(buf[2]), "test_from_context");
  struct prof_context_arg rel = {ctx};
  prof_cgo_context(&rel);
  struct prof_traceback_arg a = {ctx, 0, buf, MAX};
  prof_cgo_traceback(&a);
  CU_ASSERT_EQUAL(buf[0], 0); /* released: nothing to walk */
}

/* Registers and contexts of garbage: the walk ends, never faults, and
 * always leaves a terminated buffer. */
static void test_garbage(void) {
  ucontext_t uc;
  getcontext(&uc);
  srand(42);
  for (int i = 0; i < 2000; i++) {
    uint64_t sp = (uint64_t)uc.uc_mcontext.gregs[REG_RSP];
    uc.uc_mcontext.gregs[REG_RIP] = (greg_t)((uint64_t)rand() << 20 ^ rand());
    uc.uc_mcontext.gregs[REG_RSP] = (greg_t)(i % 2 ? sp - 4096 + rand() % 8192
                                                   : (uint64_t)rand() << 12);
    uc.uc_mcontext.gregs[REG_RBP] = (greg_t)(sp + (uint64_t)(rand() % 65536));
    struct prof_traceback_arg a = {0, (uintptr_t)&uc, buf, MAX};
    prof_cgo_traceback(&a);
    /* Past the first frame, only code the table knows is followed. */
    for (size_t k = 1; k < MAX && buf[k]; k++)
      CU_ASSERT(func_of(buf[k])[0] != '[' && strcmp(func_of(buf[k]), "?"));
    struct prof_traceback_arg b = {(uintptr_t)rand() << 16 | 8, 0, buf, MAX};
    prof_cgo_traceback(&b);
    CU_ASSERT_EQUAL(buf[0], 0);
  }
}

/* Go's printing loop stops at its line limit with `more` still set and
 * moves to the next PC with every field as left: the symbolizer must
 * start that PC at its first frame, not continue the old one. */
static inline __attribute__((always_inline)) int twice(int x) {
  volatile int v = x; /* memory traffic that stays twice()'s own */
  v = v * 2 + 1;
  return v;
}
NOINLINE static int with_inline(int x) { return twice(x) + 3; }
NOINLINE static int plain(int x) { return x - 1; }

static void test_symbolizer_stale_fields(void) {
  uintptr_t inl = (uintptr_t)with_inline, pl = (uintptr_t)plain;
  struct prof_symbolizer_arg a = {.pc = pl};
  prof_cgo_symbolizer(&a);
  CU_ASSERT_STRING_EQUAL(a.func, "plain");
  CU_ASSERT_EQUAL(a.more, 0);
  CU_ASSERT_EQUAL(a.entry, pl);
  /* The inlined PC: find one that expands (twice inside with_inline). */
  int found = 0;
  for (uintptr_t pc = inl; pc < inl + 64 && !found; pc++) {
    a.pc = pc; /* fields as left, more == 0: a new PC */
    prof_cgo_symbolizer(&a);
    if (a.more && strcmp(a.func, "twice") == 0) {
      found = 1;
      a.pc = pl; /* stale: more set, data of the other PC */
      prof_cgo_symbolizer(&a);
      CU_ASSERT_STRING_EQUAL(a.func, "plain");
      CU_ASSERT_EQUAL(a.more, 0);
      a.pc = pc;
      prof_cgo_symbolizer(&a);
      CU_ASSERT_STRING_EQUAL(a.func, "twice");
      prof_cgo_symbolizer(&a);
      CU_ASSERT_STRING_EQUAL(a.func, "with_inline");
      CU_ASSERT_EQUAL(a.more, 0);
    }
  }
  CU_ASSERT(found);
  a.pc = 0;
  prof_cgo_symbolizer(&a);
  CU_ASSERT_EQUAL(a.data, 0);
  KEEP();
}

int main(void) {
  static const struct cu_test first[] = {
      {"no frames before prof_cgo_init", test_before_init}};
  if (cu_run_suite("cgo hooks before init", first, CU_COUNT(first)) != 0 ||
      prof_cgo_init() != 0)
    return 1;
  static const struct cu_test tests[] = {
      {"traceback from a signal context", test_from_sigcontext},
      {"traceback from a context record", test_from_context},
      {"garbage registers and contexts", test_garbage},
      {"symbolizer restarts on stale fields", test_symbolizer_stale_fields},
  };
  return cu_run_suite("cgo hooks", tests, CU_COUNT(tests));
}
