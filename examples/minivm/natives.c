/* Native functions callable from minivm scripts.
 *
 * Each runs on the C stack below call_native() (vm.c), which marked the
 * script -> native crossing. sort() and call() call back into script code
 * through vm_run(), which marks native -> script; so a comparator sampled
 * inside sort() shows up as  script caller -> native_sort -> (libc qsort)
 * -> sort_compare -> vm_run -> script comparator.
 *
 * A native reports a script error with mv_error() and returns; after a
 * callback it checks vm->error and stops early. Nothing here longjmps, so
 * every crossing is always left in order (see "Common mistakes" in
 * docs/runtime-integration.md).
 */
#include "minivm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void print_value(const struct mv_vm *vm, mv_value v, int depth) {
  if (v.tag == MV_INT) {
    printf("%lld", (long long)v.as.i);
  } else if (v.tag == MV_FUNC) {
    printf("<fn %s>", vm->prog->fns[v.as.i].name);
  } else if (depth > 8) { /* arrays may contain themselves */
    printf("[...]");
  } else {
    putchar('[');
    for (int64_t k = 0; k < v.as.a->len; k++) {
      if (k) printf(", ");
      print_value(vm, v.as.a->items[k], depth + 1);
    }
    putchar(']');
  }
}

/* print(values...): space-separated, then a newline. */
static mv_value native_print(struct mv_vm *vm, mv_value *args, int argc) {
  for (int k = 0; k < argc; k++) {
    if (k) putchar(' ');
    print_value(vm, args[k], 0);
  }
  putchar('\n');
  return mv_int(0);
}

/* array(n): n zeros. */
static mv_value native_array(struct mv_vm *vm, mv_value *args, int argc) {
  if (args[0].tag != MV_INT) return mv_error(vm, "array(length)");
  struct mv_array *a = mv_array_new(vm, args[0].as.i);
  return a ? (mv_value){MV_ARRAY, {.a = a}} : mv_int(0);
}

static mv_value native_len(struct mv_vm *vm, mv_value *args, int argc) {
  if (args[0].tag != MV_ARRAY) return mv_error(vm, "len(array)");
  return mv_int(args[0].as.a->len);
}

struct sort_call {
  struct mv_vm *vm;
  mv_value cmp;
};

/* qsort_r's comparator: a native -> script crossing (inside vm_run). */
__attribute__((noinline, noclone)) static int
sort_compare(const void *x, const void *y, void *arg) {
  struct sort_call *s = arg;
  mv_value pair[2] = {*(const mv_value *)x, *(const mv_value *)y};
  if (s->vm->error) return 0; /* a callback failed: let qsort finish */
  mv_value r = vm_run(s->vm, s->cmp, pair, 2);
  if (r.tag != MV_INT) {
    mv_error(s->vm, "sort: the comparator must return an integer");
    return 0;
  }
  return (r.as.i > 0) - (r.as.i < 0);
}

/* sort(array, cmp): sorts in place with libc's qsort_r, calling the script
 * function cmp(a, b) (< 0, 0, > 0) for each comparison. */
static mv_value native_sort(struct mv_vm *vm, mv_value *args, int argc) {
  if (args[0].tag != MV_ARRAY || args[1].tag != MV_FUNC)
    return mv_error(vm, "sort(array, function)");
  struct sort_call s = {vm, args[1]};
  qsort_r(args[0].as.a->items, (size_t)args[0].as.a->len, sizeof(mv_value),
          sort_compare, &s);
  return args[0];
}

/* call(f, args...): f(args...) through native code, for nesting crossings
 * (script -> native -> script) as deep as a script likes. */
static mv_value native_call(struct mv_vm *vm, mv_value *args, int argc) {
  if (argc < 1 || args[0].tag != MV_FUNC)
    return mv_error(vm, "call(function, args...)");
  return vm_run(vm, args[0], args + 1, argc - 1);
}

/* The CPU-heavy C work: n rounds of a 64-bit mixing function, each round
 * depending on the previous one so the compiler cannot shortcut it. */
__attribute__((noinline, noclone)) static uint64_t crunch_block(uint64_t h,
                                                                int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 29;
    h += (uint64_t)i;
  }
  return h;
}

/* crunch(n): deterministic native work; returns a 62-bit digest. */
static mv_value native_crunch(struct mv_vm *vm, mv_value *args, int argc) {
  if (args[0].tag != MV_INT || args[0].as.i < 0)
    return mv_error(vm, "crunch(count >= 0)");
  return mv_int((int64_t)(crunch_block(1, args[0].as.i) >> 2));
}

static int64_t thread_cpu_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* cpu_us(): this thread's CPU time in microseconds. */
static mv_value native_cpu_us(struct mv_vm *vm, mv_value *args, int argc) {
  return mv_int(thread_cpu_us());
}

/* burn(us): native work for `us` microseconds of this thread's CPU time,
 * so a script can split its CPU between script and C by measurement, the
 * same on a fast or a slow machine. Returns the digest, which varies. */
static mv_value native_burn(struct mv_vm *vm, mv_value *args, int argc) {
  if (args[0].tag != MV_INT) return mv_error(vm, "burn(microseconds)");
  int64_t deadline = thread_cpu_us() + args[0].as.i;
  uint64_t h = (uint64_t)args[0].as.i;
  do
    h = crunch_block(h, 20000); /* ~50 us; the clock read costs ~0.5 us */
  while (thread_cpu_us() < deadline);
  return mv_int((int64_t)(h >> 2));
}

static const struct mv_native natives[] = {
    {"print", -1, native_print},   {"array", 1, native_array},
    {"len", 1, native_len},        {"sort", 2, native_sort},
    {"call", -1, native_call},     {"crunch", 1, native_crunch},
    {"burn", 1, native_burn},      {"cpu_us", 0, native_cpu_us},
};

int mv_native_find(const char *name, size_t len) {
  for (size_t k = 0; k < sizeof natives / sizeof natives[0]; k++)
    if (strlen(natives[k].name) == len &&
        memcmp(natives[k].name, name, len) == 0)
      return (int)k;
  return -1;
}

const struct mv_native *mv_native_get(int index) { return &natives[index]; }
