#include "profiler/build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "base/hash.h"
#include "libprof.h"
#include "profiler/runtime.h"

/* Location -> the model frames it expands to (innermost first). */
struct prof__loc {
  uint64_t pc;
  uint32_t id, kind;
  uint32_t first, n; /* span in prof__builder.spans */
};

struct prof__builder {
  struct prof__model *m;
  struct prof__modules *ms;
  struct prof__natsym *ns;
  struct prof__loc *locs; /* in order of first sight */
  size_t nlocs, caplocs;
  struct prof__hash_table locindex; /* location -> locs index */
  uint32_t *spans;
  size_t nspans, capspans;
  int32_t *modmap; /* module id -> model module index + 1 */
  uint32_t nmodmap;
  int called[PROF_MAX_RUNTIMES]; /* symbolizer used: owes a pc == 0 */
  /* One symbolizer argument per runtime for the whole build, which is one
   * traceback in the terms of Go's contract: zero before the first call,
   * then every call sees what the previous one left, except pc when
   * `more` was 0. A symbolizer may rely on that (Go's own do). */
  struct prof_symbolizer_arg sym[PROF_MAX_RUNTIMES];
  int failed;
  /* current location being expanded */
  uint32_t cur_id, cur_kind;
  uint64_t cur_pc;
};

static int prof__span_push(struct prof__builder *b, uint32_t frame) {
  if (prof__grow((void **)&b->spans, &b->capspans, b->nspans + 1,
                 sizeof(*b->spans)))
    return -1;
  b->spans[b->nspans++] = frame;
  return 0;
}

static int32_t prof__model_module(struct prof__builder *b, uint32_t id) {
  if (id == PROF__NO_MODULE || id >= b->nmodmap)
    return -1;
  if (b->modmap[id])
    return b->modmap[id] - 1;
  const struct prof__module *mod = prof__modules_get(b->ms, id);
  char hex[130];
  prof__module_build_id_hex(mod, hex, sizeof(hex));
  struct prof__model_module mm = {mod->path, hex[0] ? hex : NULL,
                                  mod->text_lo, mod->text_hi,
                                  mod->text_offset};
  int32_t idx = prof__model_add_module(b->m, &mm);
  if (idx >= 0)
    b->modmap[id] = idx + 1;
  return idx;
}

/* prof__symframe_fn: interns one frame of the current location. */
static int prof__take_frame(void *arg, const struct prof__symframe *f) {
  struct prof__builder *b = arg;
  int native = b->cur_kind != PROF__RAW_MANAGED;
  const char *rt = prof__runtime_name((int)b->cur_id);
  struct prof__model_frame mf = {
      f->name, f->file, f->line,
      native ? PROF__RUNTIME_NATIVE : (rt ? rt : "unknown"),
      f->inlined ? PROF__FRAME_INLINED : 0u,
      native ? prof__model_module(b, b->cur_id) : -1, b->cur_pc};
  int64_t idx = prof__model_intern_frame(b->m, &mf);
  return idx < 0 || prof__span_push(b, (uint32_t)idx) != 0;
}

/* Runs a runtime's symbolizer for one PC, following `more`. */
static int prof__managed_frames(struct prof__builder *b, int id, uint64_t pc) {
  const struct prof__runtime *rt = prof__runtime_get(id);
  char fallback[96];
  int err;
  /* Unregistered: named before unregister returned (runtime_retire.c). */
  if (!rt && prof__retire_frames(id, pc, prof__take_frame, b, &err))
    return err ? -1 : 0;
  const char *name = rt ? rt->name : prof__runtime_name(id);
  snprintf(fallback, sizeof(fallback), "%s+0x%llx", name ? name : "unknown",
           (unsigned long long)pc);
  if (!rt || !rt->symbolizer) {
    struct prof__symframe f = {fallback, NULL, 0, 0};
    return prof__take_frame(b, &f);
  }
  struct prof_symbolizer_arg *a = &b->sym[id];
  b->called[id] = 1;
  a->pc = (uintptr_t)pc; /* the only field set between calls */
  /* Frames with `more` set are inlined into the one that follows. */
  for (int i = 0; i < 64; i++) { /* bound a symbolizer that never ends */
    rt->symbolizer(a);
    struct prof__symframe f = {a->func ? a->func : fallback, a->file,
                               (uint32_t)a->lineno, a->more != 0};
    if (prof__take_frame(b, &f))
      return -1;
    if (!a->more)
      break;
  }
  return 0;
}

static int prof__truncated_frame(struct prof__builder *b) {
  struct prof__model_frame mf = {PROF__TRUNCATED_NAME, NULL, 0, "libprof",
                                 PROF__FRAME_SYNTHETIC, -1, 0};
  int64_t idx = prof__model_intern_frame(b->m, &mf);
  return idx < 0 || prof__span_push(b, (uint32_t)idx) != 0;
}

static uint64_t prof__loc_hash(const struct prof__rawframe *r) {
  uint64_t h = prof__hash_u64(0, r->pc);
  return prof__hash_u64(h, (uint64_t)r->id << 32 | r->kind);
}

static int prof__expand(struct prof__builder *b, const struct prof__rawframe *r) {
  b->cur_id = r->id, b->cur_kind = r->kind, b->cur_pc = r->pc;
  switch (r->kind) {
  case PROF__RAW_MANAGED:
    return prof__managed_frames(b, (int)r->id, r->pc);
  case PROF__RAW_TRUNCATED:
    return prof__truncated_frame(b);
  default:
    return prof__natsym_resolve(b->ns, r->id, r->pc, r->kind == PROF__RAW_CALL,
                                prof__take_frame, b);
  }
}

/* The frames of a location, resolving it on first sight. */
static const struct prof__loc *prof__locate(struct prof__builder *b,
                                            const struct prof__rawframe *r) {
  uint64_t h = prof__loc_hash(r);
  struct prof__hash_iter it;
  for (prof__hash_find(&b->locindex, h, &it); it.index != UINT32_MAX;
       prof__hash_next(&it)) {
    const struct prof__loc *l = &b->locs[it.index];
    if (l->pc == r->pc && l->id == r->id && l->kind == r->kind)
      return l;
  }
  size_t first = b->nspans;
  if (b->nlocs >= UINT32_MAX - 1 ||
      prof__grow((void **)&b->locs, &b->caplocs, b->nlocs + 1,
                 sizeof(*b->locs)) ||
      prof__expand(b, r) != 0 ||
      prof__hash_insert(&b->locindex, h, (uint32_t)b->nlocs) != 0)
    return NULL;
  b->locs[b->nlocs] = (struct prof__loc){r->pc, r->id, r->kind,
                                         (uint32_t)first,
                                         (uint32_t)(b->nspans - first)};
  return &b->locs[b->nlocs++];
}

/* Appends the model frames of one aggregated stack, root first. */
static int prof__entry_stack(struct prof__builder *b,
                             const struct prof__rawframe *f, uint32_t n,
                             uint32_t **stack, size_t *cap, uint32_t *len) {
  *len = 0;
  for (uint32_t i = n; i-- > 0;) {
    const struct prof__loc *l = prof__locate(b, &f[i]);
    if (!l)
      return -1;
    if (prof__grow((void **)stack, cap, *len + l->n, sizeof(**stack)))
      return -1;
    for (uint32_t k = l->n; k-- > 0;) /* chain is innermost first */
      (*stack)[(*len)++] = b->spans[l->first + k];
  }
  return 0;
}

static int prof__add_entries(struct prof__builder *b,
                             const struct prof__agg *a) {
  uint32_t *stack = NULL, len;
  size_t cap = 0;
  int err = 0;
  for (size_t i = 0; i < a->nthreads && !err; i++)
    err = prof__model_thread(b->m, a->threads[i].tid, a->threads[i].name) < 0;
  for (size_t i = 0; i < a->nentries && !err; i++) {
    const struct prof__agg_entry *e = &a->entries[i];
    const struct prof__rawframe *f = prof__agg_frames(a, e);
    if (prof__entry_stack(b, f, e->nframes, &stack, &cap, &len) != 0) {
      err = -1;
      break;
    }
    uint32_t flags = e->nframes && f[e->nframes - 1].kind == PROF__RAW_TRUNCATED
                         ? PROF__STACK_TRUNCATED : 0;
    int64_t st = prof__model_intern_stack(b->m, stack, len, flags);
    int64_t th = prof__model_thread(b->m, e->tid, NULL);
    err = st < 0 || th < 0 ||
          prof__model_add_sample(b->m, (size_t)th, (uint32_t)st, e->count,
                                 e->weight_ns) != 0;
  }
  free(stack);
  return err ? -1 : 0;
}

/* Ends every runtime's batch, as the hook contract promises. */
static void prof__end_batches(struct prof__builder *b) {
  for (int id = 0; id < PROF_MAX_RUNTIMES; id++) {
    const struct prof__runtime *rt = prof__runtime_get(id);
    if (!b->called[id] || !rt || !rt->symbolizer)
      continue;
    b->sym[id].pc = 0; /* the end of the traceback; the rest as left */
    rt->symbolizer(&b->sym[id]);
  }
}

static int prof__set_meta(struct prof__model *m,
                          const struct prof__build_meta *meta) {
  m->pid = meta->pid;
  m->start_unix_ns = meta->start_unix_ns;
  m->duration_ns = meta->duration_ns;
  m->hz = meta->hz;
  m->counters = meta->counters;
  return prof__model_set_str(m, &m->program, meta->program) ||
         prof__model_set_str(m, &m->mode, meta->mode) ||
         prof__model_set_str(m, &m->weight_kind, meta->weight_kind);
}

int prof__build_model(const struct prof__agg *a, struct prof__modules *ms,
                      struct prof__natsym *ns,
                      const struct prof__build_meta *meta,
                      struct prof__model **out) {
  struct prof__builder b;
  memset(&b, 0, sizeof(b));
  b.ms = ms;
  b.ns = ns;
  b.nmodmap = prof__modules_count(ms);
  b.modmap = calloc(b.nmodmap ? b.nmodmap : 1, sizeof(*b.modmap));
  b.m = prof__model_new();
  int err = !b.modmap || !b.m || prof__set_meta(b.m, meta) ||
            prof__add_entries(&b, a);
  prof__end_batches(&b);
  free(b.modmap);
  free(b.locs);
  prof__hash_free(&b.locindex);
  free(b.spans);
  if (err) {
    prof__model_free(b.m);
    return PROF_ENOMEM;
  }
  *out = b.m;
  return 0;
}
