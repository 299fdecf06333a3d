/* CPython 3.11 layout, x86-64: the only CPython-specific numbers libprof
 * uses. Measured for Debian 12's 3.11.2 (docs in
 * docs/python.md; identical in 3.11.7). tests/python/layout.c checks each
 * against the headers of python3.11-dev, so a drift fails the build of
 * that test, not a profile. */
#ifndef PROF_SIGPATH_PYTHON311_H
#define PROF_SIGPATH_PYTHON311_H

#define PROF__PY_VERSION_MIN 0x030b01f0u /* 3.11.1: gh-99729 fixed       */
#define PROF__PY_VERSION_MAX 0x030bfffful
#define PROF__PY_RUNTIME_SIZE 0x28b20u   /* sizeof(_PyRuntimeState)     */

/* _PyEval_EvalFrameDefault sets tstate->cframe before the new cframe's
 * fields within its first bytes: +0x53..+0x65 in python3.11, +0x46..+0x63
 * in libpython3.11.so (Debian 12). A PC below this offset is an entry. */
#define PROF__PY_EVAL_ENTRY 0x100

/* _PyRuntimeState */
#define PROF__PY_RT_INITIALIZED 0x10  /* int                           */
#define PROF__PY_RT_FINALIZING 0x18   /* PyThreadState *               */
#define PROF__PY_RT_TSTATE_CUR 0x240  /* gilstate.tstate_current       */
#define PROF__PY_RT_TSS_INIT 0x250    /* gilstate.autoTSSkey._is_initialized */
#define PROF__PY_RT_TSS_KEY 0x254     /* gilstate.autoTSSkey._key      */

/* PyThreadState */
#define PROF__PY_TS_CFRAME 0x38
#define PROF__PY_TS_CHUNK 0x128       /* datastack_chunk               */
#define PROF__PY_TS_TOP 0x130         /* datastack_top                 */
#define PROF__PY_TS_ROOT_CFRAME 0x150
#define PROF__PY_TS_READ 0x138        /* bytes read: up to datastack_top */

/* _PyCFrame */
#define PROF__PY_CF_CURRENT 0x8
#define PROF__PY_CF_PREVIOUS 0x10
#define PROF__PY_CF_SIZE 0x18

/* _PyStackChunk */
#define PROF__PY_CHUNK_PREVIOUS 0x0
#define PROF__PY_CHUNK_TOP 0x10       /* live words of an outer chunk  */
#define PROF__PY_CHUNK_DATA 0x18

/* _PyInterpreterFrame */
#define PROF__PY_FR_CODE 0x20
#define PROF__PY_FR_PREVIOUS 0x30
#define PROF__PY_FR_PREV_INSTR 0x38
#define PROF__PY_FR_OWNER 0x45        /* 0 thread, 1 generator, 2 frame object */
#define PROF__PY_FR_READ 0x48         /* bytes read: up to localsplus  */
#define PROF__PY_FR_SPECIALS 9        /* FRAME_SPECIALS_SIZE, words    */

/* PyCodeObject */
#define PROF__PY_CO_TYPE 0x8          /* ob_type                       */
#define PROF__PY_CO_SIZE 0x10         /* ob_size: code units           */
#define PROF__PY_CO_STACKSIZE 0x44
#define PROF__PY_CO_FIRSTLINENO 0x48
#define PROF__PY_CO_NLOCALSPLUS 0x4c
#define PROF__PY_CO_FILENAME 0x70
#define PROF__PY_CO_QUALNAME 0x80
#define PROF__PY_CO_LINETABLE 0x88
#define PROF__PY_CO_CODE 0xb8         /* co_code_adaptive              */
#define PROF__PY_CO_READ 0x90         /* bytes read: up to co_linetable */

/* PyTypeObject */
#define PROF__PY_TYPE_DEALLOC 0x30    /* tp_dealloc                    */

/* PyBytesObject, PyASCIIObject / PyCompactUnicodeObject */
#define PROF__PY_BYTES_SIZE 0x10
#define PROF__PY_BYTES_DATA 0x20
#define PROF__PY_STR_LENGTH 0x10
#define PROF__PY_STR_STATE 0x20
#define PROF__PY_STR_ASCII_DATA 0x30
#define PROF__PY_STR_COMPACT_DATA 0x48

#endif
