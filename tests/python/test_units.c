/* Unit tests of the Python support's pure parts:
 *  - the merge of activation records (the native frame holding the marker
 *    is the interpreter's: dropped, or kept with LIBPROF_KEEP_INTERNALS);
 *  - the co_linetable decoder, against CPython's own PyCode_Addr2Line on
 *    every instruction of every code object of a set of stdlib modules. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <string.h>

#include "cu_suite.h"
#include "profiler/python.h"
#include "profiler/stack.h"

/* Natives (innermost first, sps rising): 0 leaf C, 1 eval (holds the
 * cframe at 250), 2 sorted, 3 eval (holds 450), 4 main. */
static void test_merge_activations(void) {
  static union {
    struct prof__sample s;
    char pad[sizeof(struct prof__sample) + 64];
  } u;
  struct prof__sample *s = &u.s;
  memset(s, 0, sizeof(*s));
  s->slice[0] = (struct prof__crossing){PROF__CROSS_ACTIVATION, 3, 450, 0};
  s->slice[1] = (struct prof__crossing){PROF__CROSS_ACTIVATION, 3, 250, 0};
  s->nslice = 2;
  uintptr_t pcs_m[] = {0xB1, 0xB2, 0xC1, 0xC2};
  memcpy(s->mpcs, pcs_m, sizeof(pcs_m));
  s->tb_off[0] = 0, s->tb_len[0] = 2, s->tb_off[1] = 2, s->tb_len[1] = 2;
  s->nmpcs = 4;
  uint64_t pcs[5] = {0xA0, 0xA1, 0xA2, 0xA3, 0xA4};
  uint64_t sps[5] = {100, 200, 300, 400, 500};
  struct prof__rawframe out[16];
  int cut;
  int n = prof__merge(s, pcs, sps, 5, 0, out, 16, &cut);
  uint64_t want[] = {0xA0, 0xC1, 0xC2, 0xA2, 0xB1, 0xB2, 0xA4};
  CU_ASSERT_EQUAL_FATAL(n, 7);
  for (int i = 0; i < n; i++)
    CU_ASSERT_EQUAL(out[i].pc, want[i]);
  CU_ASSERT_EQUAL(out[1].kind, PROF__RAW_MANAGED);
  CU_ASSERT_EQUAL(out[1].id, 3);
  n = prof__merge(s, pcs, sps, 5, 1, out, 16, &cut);
  uint64_t keep[] = {0xA0, 0xA1, 0xC1, 0xC2, 0xA2, 0xA3, 0xB1, 0xB2, 0xA4};
  CU_ASSERT_EQUAL_FATAL(n, 9);
  for (int i = 0; i < n; i++)
    CU_ASSERT_EQUAL(out[i].pc, keep[i]);
}

static long lines_checked, lines_wrong;

static void check_code(PyCodeObject *co) {
  char *t;
  Py_ssize_t n;
  if (PyBytes_AsStringAndSize(co->co_linetable, &t, &n) != 0)
    return;
  for (int lasti = -1; lasti < Py_SIZE(co); lasti++) {
    int want = lasti < 0 ? co->co_firstlineno : PyCode_Addr2Line(co, lasti * 2);
    int got = prof__python_line((const unsigned char *)t, (size_t)n,
                                co->co_firstlineno, lasti);
    lines_checked++;
    lines_wrong += got != (want < 0 ? 0 : want);
  }
  PyObject *consts = co->co_consts;
  for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(consts); i++)
    if (PyCode_Check(PyTuple_GET_ITEM(consts, i)))
      check_code((PyCodeObject *)PyTuple_GET_ITEM(consts, i));
}

/* The source of a stdlib module, compiled afresh. */
static PyObject *compile_module(const char *name) {
  static char src[1 << 20];
  PyObject *m = PyImport_ImportModule(name);
  PyObject *file = m ? PyObject_GetAttrString(m, "__file__") : NULL;
  const char *path = file ? PyUnicode_AsUTF8(file) : NULL;
  FILE *f = path ? fopen(path, "r") : NULL;
  if (!f)
    return NULL;
  size_t n = fread(src, 1, sizeof(src) - 1, f);
  fclose(f);
  src[n] = 0;
  return Py_CompileString(src, path, Py_file_input);
}

static void test_line_decoder(void) {
  static const char *const mods[] = {"json.encoder", "asyncio.base_events",
                                     "threading", "argparse", "email.message"};
  Py_Initialize();
  for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
    PyObject *code = compile_module(mods[i]);
    CU_ASSERT_PTR_NOT_NULL_FATAL(code);
    check_code((PyCodeObject *)code);
  }
  Py_FinalizeEx();
  printf("\n  %ld instructions, %ld wrong lines\n", lines_checked, lines_wrong);
  CU_ASSERT(lines_checked > 10000);
  CU_ASSERT_EQUAL(lines_wrong, 0);
}

int main(void) {
  static const struct cu_test tests[] = {
      {"merge_activations", test_merge_activations},
      {"line_decoder", test_line_decoder}};
  return cu_run_suite("python_units", tests, CU_COUNT(tests));
}
