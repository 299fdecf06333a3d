/* A test runtime: a per-thread stack of fake managed frames, bracketed by
 * libprof's crossing functions exactly as a real VM would. Deterministic
 * tests build known call chains with it and take samples synchronously. */
#ifndef TRT_H
#define TRT_H

#include <stdint.h>

#define TRT_MAX_FRAMES 64

/* Runtimes registered by trt_init(), with their behaviour. */
struct trt_ids {
  int a, b;        /* normal runtimes "rtA", "rtB"                      */
  int inl;         /* symbolizer reports two frames per PC via `more`    */
  int greedy;      /* traceback fills max without a terminating 0        */
  int noctx;       /* registered with a NULL context hook                */
};
extern struct trt_ids trt;

void trt_init(void);

/* Native code calls managed function `pc` of runtime rt, which runs body.
 * The frame of this function is what the merge keeps as the native
 * caller ("vm_run"); the interpreter frame below it is dropped. */
void run_managed(int rt, uintptr_t pc, void (*body)(void));
/* Managed code (inside body) calls another managed function: no
 * crossing, just another frame in the same activation. */
void call_managed(uintptr_t pc, void (*body)(void));
/* Managed code calls native function fn. */
void native_call(int rt, void (*fn)(void));

/* Takes a sample right here: the signal arrives on return from the
 * syscall, so the interrupted PC is in the caller itself. */
void take_sample(void);

/* PC naming: trt_pc("m_f") gives a stable non-zero PC for a name. */
uintptr_t trt_pc(const char *name);

/* Context hook bookkeeping. */
struct trt_counts {
  long ctx_alloc, ctx_release, ctx_bad_release, sym_end_calls, sym_calls;
};
void trt_counts(struct trt_counts *out);

#endif
