/* pprof writer: gzip-compressed profile.proto (export/proto/profile.proto),
 * packed with protobuf-c and compressed with zlib while it is packed.
 *
 * - sample_type: samples/count, then cpu/nanoseconds (wall/nanoseconds
 *   when the model's weights are wall time); the latter is the default.
 * - One Sample per (thread, stack) of the model, with labels
 *   thread="<name>", tid=<tid> (a number label) and runtime=<runtime of
 *   the leaf frame>: the thread name alone, so that Pyroscope or Parca
 *   show one series per kind of thread, not one per tid.
 * - A Location is one address: a frame that is not inlined together with
 *   the chain of INLINED frames directly inside it (root first in the
 *   model). Its Line entries list them innermost first, so line[0] is the
 *   innermost inlined function and the last line the function they were
 *   inlined into, as profile.proto specifies.
 * - Functions are (name, file) pairs. Mappings are the model's modules
 *   with path and build-id, the program's own first (pprof takes the
 *   first mapping for the main binary); managed and synthetic locations
 *   have none.
 * - period_type/period, time_nanos and duration_nanos are set, and the
 *   counters go into comments.
 * Samples are packed one at a time and streamed into the gzip stream as
 * they are made, ahead of the tables (field order is free in protobuf),
 * so memory stays proportional to locations and strings, not samples.
 * Never in a signal handler. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/gzip.h"
#include "export/pprof.h"
#include "export/writers.h"
#include "libprof.h"

/* ---- labels and samples ------------------------------------------------ */

static prof__pb_label *prof__pp_label(struct prof__pp *pp, int64_t key,
                                      int64_t str, int64_t num) {
  for (size_t i = 0; i < pp->labels.n; i++) {
    prof__pb_label *l = PROF__PP_AT(pp->labels, prof__pb_label *, i);
    if (l->key == key && l->str == str && l->num == num)
      return l;
  }
  prof__pb_label *l = malloc(sizeof(*l));
  prof__pb_label **slot = l ? prof__pp_push(&pp->labels, sizeof(*slot))
                            : NULL;
  if (slot == NULL) {
    free(l);
    return NULL;
  }
  perftools__profiles__label__init(l);
  l->key = key;
  l->str = str;
  l->num = num;
  *slot = l;
  return l;
}

/* The runtime label of a sample: its leaf frame's runtime. */
static prof__pb_label *prof__pp_runtime_label(struct prof__pp *pp,
                                              const struct prof__model_stack
                                                  *st) {
  const char *rt = PROF__RUNTIME_NATIVE;
  if (st->nframes > 0)
    rt = pp->m->frames[st->frames[st->nframes - 1]].runtime;
  int64_t key = prof__pp_str(pp, "runtime"), val = prof__pp_str(pp, rt);
  return key < 0 || val < 0 ? NULL : prof__pp_label(pp, key, val, 0);
}

/* The shared label list {thread, tid, runtime} for a sample; the lists
 * are few (threads x runtimes), so a linear search from `first` (this
 * thread's first list) is enough. */
static prof__pb_label **prof__pp_label_set(struct prof__pp *pp, size_t first,
                                           prof__pb_label *const lt[2],
                                           prof__pb_label *lr) {
  for (size_t i = first; i < pp->label_sets.n; i++) {
    prof__pb_label **set = PROF__PP_AT(pp->label_sets, prof__pb_label **, i);
    if (set[2] == lr)
      return set;
  }
  prof__pb_label **set = malloc(PROF__PP_NLABELS * sizeof(*set));
  prof__pb_label ***slot =
      set ? prof__pp_push(&pp->label_sets, sizeof(*slot)) : NULL;
  if (slot == NULL) {
    free(set);
    return NULL;
  }
  set[0] = lt[0];
  set[1] = lt[1];
  set[2] = lr;
  *slot = set;
  return set;
}

/* Packs one Sample and appends it to the stream as a `sample` field of
 * Profile (field 2, length-delimited): protobuf concatenates repeated
 * fields, so samples can be streamed ahead of the tables they refer to. */
static int prof__pp_emit(struct prof__pp *pp, const prof__pb_sample *ps,
                         ProtobufCBuffer *out) {
  size_t n = protobuf_c_message_get_packed_size(&ps->base);
  if (n + 11 > pp->scratch_cap) {
    size_t cap = (n + 11) * 2;
    uint8_t *ns = realloc(pp->scratch, cap);
    if (ns == NULL)
      return -1;
    pp->scratch = ns;
    pp->scratch_cap = cap;
  }
  size_t h = 0;
  pp->scratch[h++] = (2 << 3) | 2;
  for (size_t v = n; ; v >>= 7) {
    pp->scratch[h++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    if (v <= 0x7f)
      break;
  }
  protobuf_c_message_pack(&ps->base, pp->scratch + h);
  out->append(out, h + n, pp->scratch);
  return 0;
}

/* Streams the samples of thread t: values, labels and location ids. */
static int prof__pp_thread(struct prof__pp *pp,
                           const struct prof__model_thread *t,
                           ProtobufCBuffer *out) {
  int64_t kthread = prof__pp_str(pp, "thread");
  int64_t ktid = prof__pp_str(pp, "tid");
  int64_t name = prof__pp_str(pp, t->name);
  size_t first_set = pp->label_sets.n;
  prof__pb_label *lt[2] = {NULL, NULL};
  if (kthread >= 0 && ktid >= 0 && name >= 0) {
    lt[0] = prof__pp_label(pp, kthread, name, 0);
    lt[1] = prof__pp_label(pp, ktid, 0, t->tid);
  }
  if (lt[0] == NULL || lt[1] == NULL)
    return -1;
  for (size_t i = 0; i < t->nsamples; i++) {
    const struct prof__model_sample *s = &t->samples[i];
    const struct prof__model_stack *st = &pp->m->stacks[s->stack];
    prof__pb_label *lr = prof__pp_runtime_label(pp, st);
    prof__pb_label **set =
        lr ? prof__pp_label_set(pp, first_set, lt, lr) : NULL;
    int64_t nids = set ? prof__pp_stack(pp, st) : -1;
    if (nids < 0)
      return -1;
    int64_t values[2] = {(int64_t)s->count, (int64_t)s->weight_ns};
    prof__pb_sample ps;
    perftools__profiles__sample__init(&ps);
    ps.n_label = PROF__PP_NLABELS;
    ps.label = set;
    ps.n_value = 2;
    ps.value = values;
    ps.n_location_id = (size_t)nids;
    ps.location_id = pp->ids;
    if (prof__pp_emit(pp, &ps, out) != 0)
      return -1;
  }
  return 0;
}

/* ---- mappings and profile header ---------------------------------------- */

/* The module that is the program itself (its path is the model's
 * program), or 0 when none is. */
static size_t prof__pp_main_module(const struct prof__model *m) {
  for (size_t i = 0; m->program != NULL && i < m->nmodules; i++)
    if (m->modules[i].path != NULL &&
        strcmp(m->modules[i].path, m->program) == 0)
      return i;
  return 0;
}

/* Mapping ids: the main module's is 1, the others keep their order.
 * Locations were made with module + 1 while the samples streamed, so
 * they are renumbered here, before the tables are packed. */
static uint64_t prof__pp_map_id(size_t module, size_t main) {
  return module == main ? 1 : module < main ? module + 2 : module + 1;
}

static int prof__pp_mappings(struct prof__pp *pp) {
  const struct prof__model *m = pp->m;
  size_t n = m->nmodules ? m->nmodules : 1, main = prof__pp_main_module(m);
  pp->maps = calloc(n, sizeof(*pp->maps));
  pp->map_ptrs = calloc(n, sizeof(*pp->map_ptrs));
  if (pp->maps == NULL || pp->map_ptrs == NULL)
    return -1;
  for (size_t i = 0; i < pp->locs.n; i++) {
    prof__pb_location *loc = PROF__PP_AT(pp->locs, prof__pb_location *, i);
    if (loc->mapping_id != 0)
      loc->mapping_id = prof__pp_map_id(loc->mapping_id - 1, main);
  }
  for (size_t i = 0; i < m->nmodules; i++) {
    const struct prof__model_module *mod = &m->modules[i];
    uint64_t id = prof__pp_map_id(i, main);
    prof__pb_mapping *mp = &pp->maps[id - 1];
    perftools__profiles__mapping__init(mp);
    mp->id = id;
    mp->memory_start = mod->start;
    mp->memory_limit = mod->limit;
    mp->file_offset = mod->file_offset;
    mp->filename = prof__pp_str(pp, mod->path);
    mp->build_id = prof__pp_str(pp, mod->build_id);
    if (mp->filename < 0 || mp->build_id < 0)
      return -1;
    /* Symbols come with the profile: pprof must not look for them. */
    mp->has_functions = mp->has_filenames = 1;
    mp->has_line_numbers = mp->has_inline_frames = 1;
    pp->map_ptrs[id - 1] = mp;
  }
  return 0;
}

/* Nanoseconds between samples: from the rate, else the mean weight of a
 * sample (files converted from formats without a rate), else the
 * default rate's. */
static uint64_t prof__pp_period(const struct prof__model *m) {
  uint64_t w = 0, c = 0;
  if (m->hz != 0)
    return prof__period_ns(m);
  for (size_t i = 0; i < m->nthreads; i++)
    for (size_t k = 0; k < m->threads[i].nsamples; k++) {
      w += m->threads[i].samples[k].weight_ns;
      c += m->threads[i].samples[k].count;
    }
  return c != 0 && w / c != 0 ? w / c : prof__period_ns(m);
}

/* The session length, or (when unknown) the busiest thread's weight, a
 * lower bound of it. */
static uint64_t prof__pp_duration(const struct prof__model *m) {
  uint64_t best = 0;
  if (m->duration_ns != 0)
    return m->duration_ns;
  for (size_t i = 0; i < m->nthreads; i++) {
    uint64_t w = 0;
    for (size_t k = 0; k < m->threads[i].nsamples; k++)
      w += m->threads[i].samples[k].weight_ns;
    if (w > best)
      best = w;
  }
  return best;
}

/* Adds a printf-formatted comment. 0 or -1 on ENOMEM. */
__attribute__((format(printf, 2, 3))) static int
prof__pp_commentf(struct prof__pp *pp, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (s == NULL || pp->ncomments == PROF__PP_NCOMMENTS) {
    free(s);
    return -1;
  }
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  int64_t id = prof__pp_str_owned(pp, s);
  if (id < 0)
    return -1;
  pp->comments[pp->ncomments++] = id;
  return 0;
}

static int prof__pp_comments(struct prof__pp *pp) {
  const struct prof__model *m = pp->m;
  const struct prof__model_counters *c = &m->counters;
  if (prof__pp_commentf(pp, "libprof %s program=%s pid=%lld",
                        PROF_VERSION_STRING, m->program ? m->program : "",
                        (long long)m->pid) ||
      prof__pp_commentf(pp, "mode=%s hz=%u weight=%s",
                        m->mode ? m->mode : "", m->hz,
                        m->weight_kind ? m->weight_kind : "cpu"))
    return -1;
  return prof__pp_commentf(
      pp, "samples=%llu dropped=%llu truncated=%llu unwind_failed=%llu "
          "misuse=%llu",
      (unsigned long long)c->samples, (unsigned long long)c->dropped,
      (unsigned long long)c->truncated,
      (unsigned long long)c->unwind_failed, (unsigned long long)c->misuse);
}

/* sample_type, period_type, period, times and comments of p. */
static int prof__pp_header(struct prof__pp *pp, prof__pb_profile *p) {
  const struct prof__model *m = pp->m;
  const char *kind = (m->weight_kind && strcmp(m->weight_kind, "wall") == 0)
                         ? "wall" : "cpu";
  int64_t samples = prof__pp_str(pp, "samples");
  int64_t count = prof__pp_str(pp, "count");
  int64_t k = prof__pp_str(pp, kind);
  int64_t ns = prof__pp_str(pp, "nanoseconds");
  if (samples < 0 || count < 0 || k < 0 || ns < 0 ||
      prof__pp_comments(pp) != 0)
    return -1;
  for (int i = 0; i < 3; i++)
    perftools__profiles__value_type__init(&pp->types[i]);
  pp->types[0].type = samples;
  pp->types[0].unit = count;
  pp->types[1].type = pp->types[2].type = k;
  pp->types[1].unit = pp->types[2].unit = ns;
  pp->type_ptrs[0] = &pp->types[0];
  pp->type_ptrs[1] = &pp->types[1];
  p->n_sample_type = 2;
  p->sample_type = pp->type_ptrs;
  p->period_type = &pp->types[2];
  p->period = (int64_t)prof__pp_period(m);
  p->default_sample_type = k;
  p->time_nanos = (int64_t)m->start_unix_ns;
  p->duration_nanos = (int64_t)prof__pp_duration(m);
  p->n_comment = pp->ncomments;
  p->comment = pp->comments;
  return 0;
}

/* ---- building and packing ------------------------------------------------ */

/* Streams every sample; allocates the per-sample scratch first. */
static int prof__pp_samples(struct prof__pp *pp, ProtobufCBuffer *out) {
  const struct prof__model *m = pp->m;
  size_t depth = 0;
  for (size_t i = 0; i < m->nstacks; i++)
    if (m->stacks[i].nframes > depth)
      depth = m->stacks[i].nframes;
  pp->ids = malloc((depth + 1) * sizeof(*pp->ids));
  pp->frame_loc = calloc(m->nframes + 1, sizeof(*pp->frame_loc));
  if (pp->ids == NULL || pp->frame_loc == NULL)
    return -1;
  for (size_t i = 0; i < m->nthreads; i++)
    if (prof__pp_thread(pp, &m->threads[i], out) != 0)
      return -1;
  return 0;
}

/* Everything but the samples, which are already in the stream. */
static int prof__pp_tables(struct prof__pp *pp, prof__pb_profile *p) {
  if (prof__pp_mappings(pp) != 0 || prof__pp_header(pp, p) != 0)
    return PROF_ENOMEM;
  p->n_mapping = pp->m->nmodules;
  p->mapping = pp->map_ptrs;
  p->n_location = pp->locs.n;
  p->location = pp->locs.v;
  p->n_function = pp->funcs.n;
  p->function = pp->funcs.v;
  /* protobuf-c only reads the strings; its field type is not const. */
  p->n_string_table = pp->strs.n;
  p->string_table = pp->strs.v;
  return 0;
}

static void prof__pp_free_ptrs(struct prof__pp_vec *a) {
  for (size_t i = 0; i < a->n; i++)
    free(PROF__PP_AT(*a, void *, i));
  free(a->v);
}

static void prof__pp_free(struct prof__pp *pp) {
  prof__pp_free_ptrs(&pp->owned);
  prof__pp_free_ptrs(&pp->funcs);
  prof__pp_free_ptrs(&pp->locs);
  prof__pp_free_ptrs(&pp->labels);
  prof__pp_free_ptrs(&pp->label_sets);
  free(pp->strs.v);
  free(pp->loc_frames.v);
  free(pp->loc_off.v);
  free(pp->frame_loc);
  free(pp->ids);
  free(pp->scratch);
  free(pp->maps);
  free(pp->map_ptrs);
  prof__hash_free(&pp->str_tab);
  prof__hash_free(&pp->func_tab);
  prof__hash_free(&pp->loc_tab);
  free(pp);
}

int prof__write_pprof(const struct prof__model *m, FILE *fp) {
  struct prof__pp *pp = calloc(1, sizeof(*pp));
  struct prof__gz *gz = pp ? prof__gz_open(fp) : NULL;
  prof__pb_profile p;
  int rc = gz == NULL ? PROF_ENOMEM : 0;
  if (rc == 0) {
    pp->m = m;
    perftools__profiles__profile__init(&p);
    /* String 0 must be "", whatever is interned first. */
    if (prof__pp_str(pp, "") != 0 ||
        prof__pp_samples(pp, prof__gz_buffer(gz)) != 0)
      rc = PROF_ENOMEM;
  }
  if (rc == 0)
    rc = prof__pp_tables(pp, &p);
  if (rc == 0)
    protobuf_c_message_pack_to_buffer(&p.base, prof__gz_buffer(gz));
  if (gz != NULL) {
    int grc = prof__gz_close(gz, rc == 0);
    if (rc == 0)
      rc = grc;
  }
  if (pp != NULL)
    prof__pp_free(pp);
  return rc;
}
