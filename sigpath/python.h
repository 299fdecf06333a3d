/* CPython 3.11 support, handler side: what the handler reads of the
 * interpreter (set up by profiler/python.c before any session samples it)
 * and the walk that turns the sampled thread's interpreter frames into
 * slice records. docs/python.md describes the whole feature. */
#ifndef PROF_SIGPATH_PYTHON_H
#define PROF_SIGPATH_PYTHON_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "sigpath/sample.h"

/* Written once (profiler/python.c, under its own once-lock) and published
 * by the release store of `on`; read-only afterwards. */
struct prof__py {
  _Atomic int on;
  int runtime;              /* registered runtime id of "python"        */
  uintptr_t rt;             /* &_PyRuntime                              */
  uintptr_t code_type;      /* &PyCode_Type                             */
  uintptr_t eval_lo, eval_hi; /* _PyEval_EvalFrameDefault (hot part):   */
                            /* torn frame links occur only in there     */
};
PROF__HIDDEN extern struct prof__py prof__py;

/* Python frames use two managed PCs each: the code object's address, then
 * PROF__PY_PC_TAG | untracked << 62 | (lasti + 1) << 32 | deaths, where
 * deaths is prof__py_deaths when the sample was taken. A code object can
 * be freed, and its address reused, before the collector reads it: the
 * deallocation hook reads every code object in prof__py_seen as it dies,
 * numbered by prof__py_deaths, so a frame names the first object at its
 * address to die at or after its number, or the live one if none has
 * (docs/python.md, "Code objects"). `untracked`: the code could not be
 * added to prof__py_seen, so it is never named. */
#define PROF__PY_PC_TAG (1ull << 63)
#define PROF__PY_PC_UNTRACKED (1ull << 62)
#define PROF__PY_PCS 2
PROF__HIDDEN extern _Atomic uint64_t prof__py_deaths;

/* The code objects samples have named, so that the code-object
 * deallocation hook (profiler/python.c) reads those that die before the
 * collector has read them. Open addressing on the address; the handler
 * inserts with a CAS, the hook replaces a dying entry by a tombstone. A
 * full set (the handler of codes it cannot hold as untracked). */
#define PROF__PY_SEEN 16384 /* power of two */
#define PROF__PY_SEEN_PROBES 8
#define PROF__PY_TOMB ((uintptr_t)1)
PROF__HIDDEN extern _Atomic uintptr_t prof__py_seen[PROF__PY_SEEN];

static inline size_t prof__py_seen_slot(uintptr_t code, int probe) {
  return (((code >> 4) * 0x9e3779b97f4a7c15ull >> 50) + (size_t)probe) &
         (PROF__PY_SEEN - 1);
}

/* If the sampled thread runs CPython 3.11 code (prof__py.on and the
 * thread has a thread state), adds one PROF__CROSS_ACTIVATION record per
 * eval activation to smp's slice, at the address of the activation's
 * _PyCFrame (a local of the native _PyEval_EvalFrameDefault frame running
 * it), with its Python frames as managed PCs. A link that fails a check
 * drops that activation's frames and sets PROF__SAMPLE_RUNTIME_TORN.
 * No CPython call; reads that could fault go through process_vm_readv on
 * our own pid. pid: ours; pc/sp: the interrupted thread's. PROF__SIGSAFE. */
PROF__HIDDEN void prof__python_capture(struct prof__sample *smp, pid_t pid);

#endif
