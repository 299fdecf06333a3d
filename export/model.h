/* The in-memory profile model: the only thing exporters see.
 *
 * Built once per session by the collector (or by a file reader in
 * prof_convert), then read by any number of writers. The model owns every
 * string and array in it; prof__model_free() releases all of it.
 * Not thread-safe (one builder at a time); never used in a signal handler.
 */
#ifndef PROF_EXPORT_MODEL_H
#define PROF_EXPORT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "base/common.h"

/* Frame flags. */
#define PROF__FRAME_INLINED 0x1u   /* inlined into the next outer frame */
#define PROF__FRAME_SYNTHETIC 0x2u /* made by libprof, e.g. "[truncated]" */

/* Stack flags. */
#define PROF__STACK_TRUNCATED 0x1u /* outer frames were cut (max depth,
                                      slice overflow, unwind failure) */

#define PROF__RUNTIME_NATIVE "native"
#define PROF__TRUNCATED_NAME "[truncated]"

struct prof__model_module {
  const char *path;     /* object file path as loaded                     */
  const char *build_id; /* lower-case hex, or NULL when unknown           */
  uint64_t start;       /* lowest mapped address of its executable text   */
  uint64_t limit;       /* one past the highest                           */
  uint64_t file_offset; /* file offset that start maps                    */
};

struct prof__model_frame {
  const char *name;    /* never NULL                                      */
  const char *file;    /* source file (or NULL when unknown)              */
  uint32_t line;       /* 0 when unknown                                  */
  const char *runtime; /* "native" or a registered runtime name           */
  uint32_t flags;      /* PROF__FRAME_*                                   */
  int32_t module;      /* index into modules, or -1                       */
  uint64_t address;    /* native: absolute PC; managed: runtime PC; 0     */
};

struct prof__model_stack {
  uint32_t nframes;
  uint32_t flags;         /* PROF__STACK_*                                */
  const uint32_t *frames; /* frame indices, ROOT FIRST (outermost first)  */
};

struct prof__model_sample {
  uint32_t stack;     /* index into stacks                                */
  uint64_t count;     /* number of samples aggregated here (>= 1)         */
  uint64_t weight_ns; /* their summed weight in nanoseconds               */
};

struct prof__model_thread {
  int64_t tid;
  const char *name;   /* thread name (comm), never NULL                   */
  size_t nsamples;
  struct prof__model_sample *samples; /* in first-seen order              */
};

struct prof__model_counters {
  uint64_t samples;       /* samples taken by the handler                 */
  uint64_t dropped;       /* lost: ring full, no slot, handler re-entry   */
  uint64_t truncated;     /* kept but cut (depth, slice, hook overrun)    */
  uint64_t unwind_failed; /* native unwind stopped early                  */
  uint64_t misuse;        /* crossing misuse events                       */
};

struct prof__model {
  /* metadata */
  const char *program;        /* argv[0] or exe path, may be NULL         */
  int64_t pid;
  uint64_t start_unix_ns;     /* wall clock at session start              */
  uint64_t duration_ns;       /* wall time of the session                 */
  uint32_t hz;                /* requested rate                           */
  const char *mode;           /* "cpu", "timer", "itimer", "wall"         */
  const char *weight_kind;    /* "cpu" or "wall": what weights measure    */
  int weights_from_counts;    /* a reader derived the weights from sample
                                 counts at an assumed rate (the file had no
                                 time unit): report shows counts instead */
  struct prof__model_counters counters;

  struct prof__model_module *modules; size_t nmodules;
  struct prof__model_frame *frames;   size_t nframes;
  struct prof__model_stack *stacks;   size_t nstacks;
  struct prof__model_thread *threads; size_t nthreads;

  void *priv_; /* builder state: arena, hash tables */
};

/* Allocates an empty model. Returns NULL on allocation failure. */
PROF__HIDDEN struct prof__model *prof__model_new(void);
PROF__HIDDEN void prof__model_free(struct prof__model *m);

/* Copies s into the model's arena; NULL stays NULL. NULL on ENOMEM. */
PROF__HIDDEN const char *prof__model_strdup(struct prof__model *m,
                                            const char *s);

/* Sets a metadata string field (program/mode/weight_kind) to a copy of s. */
PROF__HIDDEN int prof__model_set_str(struct prof__model *m, const char **field,
                                     const char *s);

/* Adds a module (strings copied). Returns its index or -1 on ENOMEM. */
PROF__HIDDEN int32_t prof__model_add_module(struct prof__model *m,
                                            const struct prof__model_module *mod);

/* Interns a frame (strings copied). Frames equal in every field are
 * deduplicated. Returns its index, or -1 on ENOMEM. */
PROF__HIDDEN int64_t prof__model_intern_frame(struct prof__model *m,
                                              const struct prof__model_frame *f);

/* Interns a stack of frame indices, root first. Equal (frames, flags) pairs
 * are deduplicated. Returns its index, or -1 on ENOMEM. */
PROF__HIDDEN int64_t prof__model_intern_stack(struct prof__model *m,
                                              const uint32_t *frames,
                                              uint32_t nframes, uint32_t flags);

/* Finds or adds the thread with this tid (name copied; a non-NULL name
 * replaces an earlier one). Returns its index or -1 on ENOMEM. */
PROF__HIDDEN int64_t prof__model_thread(struct prof__model *m, int64_t tid,
                                        const char *name);

/* Adds count/weight to (thread, stack); merges with an existing entry for
 * the same stack in that thread. Returns 0 or -1 on ENOMEM. */
PROF__HIDDEN int prof__model_add_sample(struct prof__model *m, size_t thread,
                                        uint32_t stack, uint64_t count,
                                        uint64_t weight_ns);

#endif
