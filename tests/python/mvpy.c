/* A C library that runs minivm code (examples/minivm), for Python to call
 * through ctypes: three runtimes in one stack (test_multi.py). */
#include <stdint.h>
#include <stdio.h>

#include "minivm.h"

/* Compiles src, calls its main(arg) and returns the result, or -1. */
__attribute__((visibility("default"), noinline)) int64_t
mvpy_run(const char *src, int64_t arg) {
  char err[256];
  struct mv_program *prog = mv_compile("mvpy.mv", src, err, sizeof(err));
  if (!prog) {
    fprintf(stderr, "mvpy: %s\n", err);
    return -1;
  }
  struct mv_vm *vm = mv_vm_new(prog);
  int fn = mv_find_function(prog, "main");
  mv_value a = mv_int(arg), r = mv_int(-1);
  if (vm && fn >= 0)
    r = vm_run(vm, (mv_value){MV_FUNC, {.i = fn}}, &a, 1);
  int64_t out = vm && !vm->error && r.tag == MV_INT ? r.as.i : -1;
  mv_vm_free(vm);
  mv_program_free(prog);
  return out;
}
