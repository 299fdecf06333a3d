/* sigpath/python311.h against the CPython 3.11 headers of python3.11-dev:
 * every offset libprof reads must be the one the headers define, so a
 * layout change fails this build (and this test), not a profile. */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <internal/pycore_code.h>
#include <internal/pycore_frame.h>
#include <internal/pycore_runtime.h>
#include <stddef.h>
#include <stdio.h>

#include "sigpath/python311.h"

#define SAME(ours, type, field)                                               \
  _Static_assert(ours == offsetof(type, field), #type "." #field)

SAME(PROF__PY_RT_INITIALIZED, _PyRuntimeState, initialized);
SAME(PROF__PY_RT_FINALIZING, _PyRuntimeState, _finalizing);
SAME(PROF__PY_RT_TSTATE_CUR, _PyRuntimeState, gilstate.tstate_current);
SAME(PROF__PY_RT_TSS_INIT, _PyRuntimeState, gilstate.autoTSSkey._is_initialized);
SAME(PROF__PY_RT_TSS_KEY, _PyRuntimeState, gilstate.autoTSSkey._key);
SAME(PROF__PY_TS_CFRAME, PyThreadState, cframe);
SAME(PROF__PY_TS_CHUNK, PyThreadState, datastack_chunk);
SAME(PROF__PY_TS_TOP, PyThreadState, datastack_top);
SAME(PROF__PY_TS_ROOT_CFRAME, PyThreadState, root_cframe);
SAME(PROF__PY_CF_CURRENT, _PyCFrame, current_frame);
SAME(PROF__PY_CF_PREVIOUS, _PyCFrame, previous);
SAME(PROF__PY_CHUNK_PREVIOUS, _PyStackChunk, previous);
SAME(PROF__PY_CHUNK_TOP, _PyStackChunk, top);
SAME(PROF__PY_CHUNK_DATA, _PyStackChunk, data);
SAME(PROF__PY_FR_CODE, _PyInterpreterFrame, f_code);
SAME(PROF__PY_FR_PREVIOUS, _PyInterpreterFrame, previous);
SAME(PROF__PY_FR_PREV_INSTR, _PyInterpreterFrame, prev_instr);
SAME(PROF__PY_FR_OWNER, _PyInterpreterFrame, owner);
SAME(PROF__PY_FR_READ, _PyInterpreterFrame, localsplus);
SAME(PROF__PY_CO_TYPE, PyObject, ob_type);
SAME(PROF__PY_CO_SIZE, PyVarObject, ob_size);
SAME(PROF__PY_CO_STACKSIZE, PyCodeObject, co_stacksize);
SAME(PROF__PY_CO_FIRSTLINENO, PyCodeObject, co_firstlineno);
SAME(PROF__PY_CO_NLOCALSPLUS, PyCodeObject, co_nlocalsplus);
SAME(PROF__PY_CO_FILENAME, PyCodeObject, co_filename);
SAME(PROF__PY_CO_QUALNAME, PyCodeObject, co_qualname);
SAME(PROF__PY_CO_LINETABLE, PyCodeObject, co_linetable);
SAME(PROF__PY_CO_CODE, PyCodeObject, co_code_adaptive);
SAME(PROF__PY_TYPE_DEALLOC, PyTypeObject, tp_dealloc);
SAME(PROF__PY_BYTES_SIZE, PyVarObject, ob_size);
SAME(PROF__PY_BYTES_DATA, PyBytesObject, ob_sval);
SAME(PROF__PY_STR_LENGTH, PyASCIIObject, length);
SAME(PROF__PY_STR_STATE, PyASCIIObject, state);
_Static_assert(PROF__PY_STR_ASCII_DATA == sizeof(PyASCIIObject), "ascii data");
_Static_assert(PROF__PY_STR_COMPACT_DATA == sizeof(PyCompactUnicodeObject),
               "compact data");
_Static_assert(PROF__PY_RUNTIME_SIZE == sizeof(_PyRuntimeState), "runtime");
_Static_assert(PROF__PY_CF_SIZE == sizeof(_PyCFrame), "cframe");
_Static_assert(PROF__PY_FR_SPECIALS == FRAME_SPECIALS_SIZE, "specials");
_Static_assert(PROF__PY_TS_READ <= sizeof(PyThreadState), "tstate read");
_Static_assert(PROF__PY_CO_READ <= offsetof(PyCodeObject, co_code_adaptive),
               "code read");
_Static_assert(PY_VERSION_HEX >= PROF__PY_VERSION_MIN &&
                   PY_VERSION_HEX <= PROF__PY_VERSION_MAX, "version");

int main(void) {
  printf("CPython %s: layout matches sigpath/python311.h\n", PY_VERSION);
  return 0;
}
