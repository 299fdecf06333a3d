/* Names of the managed PCs of runtimes unregistered while a session runs.
 *
 * Why here and not at the end like every other PC: after
 * prof_runtime_unregister returns, the runtime's code may be unloaded, so
 * its symbolizer is called for the PCs already aggregated before that,
 * on the collector thread (the hook contract), and the frames it gives
 * are copied. build.c takes them from here. Collector thread only, apart
 * from prof__retire_forget, which runs when no collector does. */
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "profiler/runtime.h"

/* One frame the symbolizer gave; strings are owned. */
struct prof__retired_frame {
  char *func, *file;
  uint32_t line;
  int inlined;
};

/* The frames of one (runtime, pc), innermost first. */
struct prof__retired_pc {
  uint64_t pc;
  int id;
  uint32_t first, n;
};

static struct {
  struct prof__retired_pc *pcs; /* sorted by (id, pc) */
  size_t npcs, cappcs;
  struct prof__retired_frame *fr;
  size_t nfr, capfr;
} prof__ret;

static int prof__ret_cmp(const void *a, const void *b) {
  const struct prof__retired_pc *x = a, *y = b;
  if (x->id != y->id)
    return x->id < y->id ? -1 : 1;
  return x->pc < y->pc ? -1 : x->pc > y->pc;
}

static const struct prof__retired_pc *prof__ret_find(int id, uint64_t pc) {
  struct prof__retired_pc key = {pc, id, 0, 0};
  if (!prof__ret.npcs)
    return NULL;
  return bsearch(&key, prof__ret.pcs, prof__ret.npcs, sizeof(key),
                 prof__ret_cmp);
}

/* Calls the symbolizer for pc (following `more`, bounded like build.c)
 * and appends its frames; a frame without a function is left out, so
 * build.c names it runtime+0xpc. One argument a batch, as Go's contract
 * says (and build.c does): the fields keep what the previous call left,
 * but pc, set when `more` was 0. */
static void prof__ret_symbolize_pc(struct prof__retired_pc *e,
                                   struct prof_symbolizer_arg *a,
                                   void (*symbolizer)(void *)) {
  a->pc = (uintptr_t)e->pc;
  e->first = (uint32_t)prof__ret.nfr;
  e->n = 0;
  for (int i = 0; i < 64; i++) {
    symbolizer(a);
    if (a->func &&
        prof__grow((void **)&prof__ret.fr, &prof__ret.capfr,
                   prof__ret.nfr + 1, sizeof(*prof__ret.fr)) == 0) {
      struct prof__retired_frame *f = &prof__ret.fr[prof__ret.nfr];
      f->func = strdup(a->func);
      f->file = a->file ? strdup(a->file) : NULL;
      f->line = (uint32_t)a->lineno;
      f->inlined = a->more != 0;
      if (f->func) { /* ENOMEM: left out, like a frame without a name */
        prof__ret.nfr++;
        e->n++;
      } else {
        free(f->file);
      }
    }
    if (!a->more)
      break;
  }
}

/* Appends every distinct PC of runtime id in the aggregate, unnamed. */
static size_t prof__ret_collect(const struct prof__agg *a, int id) {
  size_t start = prof__ret.npcs;
  for (size_t i = 0; i < a->nentries; i++) {
    const struct prof__agg_entry *e = &a->entries[i];
    const struct prof__rawframe *f = prof__agg_frames(a, e);
    for (uint32_t k = 0; k < e->nframes; k++) {
      if (f[k].kind != PROF__RAW_MANAGED || (int)f[k].id != id)
        continue;
      if (prof__grow((void **)&prof__ret.pcs, &prof__ret.cappcs,
                     prof__ret.npcs + 1, sizeof(*prof__ret.pcs)) != 0)
        return start;
      prof__ret.pcs[prof__ret.npcs++] =
          (struct prof__retired_pc){f[k].pc, id, 0, 0};
    }
  }
  return start;
}

void prof__retire_symbolize(struct prof__agg *a, int id,
                            void (*symbolizer)(void *)) {
  size_t start = prof__ret_collect(a, id), out = start;
  struct prof__retired_pc *v = prof__ret.pcs;
  qsort(v + start, prof__ret.npcs - start, sizeof(*v), prof__ret_cmp);
  for (size_t i = start; i < prof__ret.npcs; i++)
    if (i == start || v[i].pc != v[out - 1].pc)
      v[out++] = v[i]; /* distinct PCs only */
  prof__ret.npcs = out;
  struct prof_symbolizer_arg arg = {0};
  for (size_t i = start; i < out; i++)
    prof__ret_symbolize_pc(&v[i], &arg, symbolizer);
  if (out > start) {
    arg.pc = 0;
    symbolizer(&arg); /* the batch ends, as the contract promises */
  }
  qsort(v, out, sizeof(*v), prof__ret_cmp); /* ids were retired in order */
}

int prof__retire_frames(int id, uint64_t pc, prof__symframe_fn fn, void *arg,
                        int *err) {
  const struct prof__retired_pc *e = prof__ret_find(id, pc);
  if (!e || e->n == 0)
    return 0;
  *err = 0;
  for (uint32_t i = 0; i < e->n && !*err; i++) {
    const struct prof__retired_frame *f = &prof__ret.fr[e->first + i];
    struct prof__symframe sf = {f->func, f->file, f->line, f->inlined};
    *err = fn(arg, &sf);
  }
  return 1;
}

void prof__retire_forget(void) {
  for (size_t i = 0; i < prof__ret.nfr; i++) {
    free(prof__ret.fr[i].func);
    free(prof__ret.fr[i].file);
  }
  free(prof__ret.fr);
  free(prof__ret.pcs);
  memset(&prof__ret, 0, sizeof(prof__ret));
}
