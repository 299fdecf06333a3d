#ifndef PROF_SIGPATH_SLICE_H
#define PROF_SIGPATH_SLICE_H

#include "sigpath/sample.h"

/* Copies the calling thread's context slice into smp (the innermost
 * PROF__SAMPLE_SLICE_MAX records) and runs the traceback hooks it needs:
 * the saved context of every NATIVE record, and context 0 for an innermost
 * MANAGED record. uc is the handler's ucontext_t *. PROF__SIGSAFE. */
PROF__HIDDEN void prof__slice_capture(struct prof__sample *smp, void *uc);

#endif
