/* pprof reader: gzip'd perftools.profiles.Profile (libprof's own files,
 * Go's, or any other writer's), unpacked with protobuf-c.
 *
 * - Values: the first sample type in nanoseconds is the weight (its type
 *   "wall" makes the weights wall time), the first count type
 *   ("samples"/"count") the count; with only one of them the other is
 *   derived from the period. Other units (bytes, objects) are refused: not
 *   a CPU profile.
 * - Stacks: location_id is leaf first, a location's lines innermost
 *   first; every line but a location's last is an inlined frame.
 * - Threads: libprof's labels thread=<name> and tid=<number>, or an older
 *   thread="<name> (<tid>)"; samples without them go to "all (0)".
 * - Runtimes: a location with a mapping is native; one without is libprof's
 *   "[truncated]" frame, or managed code, whose runtime libprof's writer
 *   puts in the function's system_name ("<runtime>:<name>"); from other
 *   writers it is known only where the function was some sample's leaf
 *   (the `runtime` label), otherwise "managed".
 * - Metadata comes from libprof's comments when present, else from
 *   time_nanos, duration_nanos and the period.
 * Thread-safe (no shared state); never in a signal handler. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/grow.h"
#include "export/proto/profile.pb-c.h"
#include "export/read_json.h" /* prof__rj_add */
#include "export/writers.h"
#include "libprof.h"

typedef Perftools__Profiles__Profile prof__rp_profile;
typedef Perftools__Profiles__Location prof__rp_location;
typedef Perftools__Profiles__Function prof__rp_function;

#define PROF__RP_MAX_BYTES (1ull << 30) /* a gzip bomb stops here */

/* Inflates a gzip stream into a malloc'd buffer. */
static int prof__rp_gunzip(const char *in, size_t len, uint8_t **out,
                           size_t *outlen) {
  z_stream z = {0};
  size_t cap = len * 4 + 4096, n = 0;
  uint8_t *b = malloc(cap);
  if (b == NULL || inflateInit2(&z, 15 + 16) != Z_OK) {
    free(b);
    return PROF_ENOMEM;
  }
  z.next_in = (Bytef *)in;
  z.avail_in = (uInt)len;
  int zr = Z_OK;
  while (zr == Z_OK) {
    if (n == cap) {
      uint8_t *nb = cap >= PROF__RP_MAX_BYTES ? NULL : realloc(b, cap * 2);
      if (nb == NULL)
        break;
      b = nb;
      cap *= 2;
    }
    z.next_out = b + n;
    z.avail_out = (uInt)(cap - n);
    zr = inflate(&z, Z_NO_FLUSH);
    n = cap - z.avail_out;
  }
  inflateEnd(&z);
  if (zr != Z_STREAM_END) {
    free(b);
    return PROF_EFORMAT;
  }
  *out = b;
  *outlen = n;
  return 0;
}

struct prof__rp {
  struct prof__model *m;
  const prof__rp_profile *p;
  int weight_ix, count_ix;  /* value indices, -1 = absent */
  uint64_t period_ns;
  prof__rp_location **locs; /* sorted by id */
  prof__rp_function **funcs;
  const char **fn_runtime; /* per funcs[] entry: from leaf labels */
  uint32_t *stack;
  size_t cap;
  struct prof__rj_total total; /* what the file added so far */
};

static const char *prof__rp_str(const struct prof__rp *r, int64_t i) {
  return i >= 0 && (size_t)i < r->p->n_string_table ? r->p->string_table[i]
                                                     : "";
}

static int prof__rp_cmp_loc(const void *a, const void *b) {
  uint64_t x = (*(prof__rp_location *const *)a)->id;
  uint64_t y = (*(prof__rp_location *const *)b)->id;
  return (x > y) - (x < y);
}

static int prof__rp_cmp_fn(const void *a, const void *b) {
  uint64_t x = (*(prof__rp_function *const *)a)->id;
  uint64_t y = (*(prof__rp_function *const *)b)->id;
  return (x > y) - (x < y);
}

static prof__rp_location *prof__rp_loc(const struct prof__rp *r, uint64_t id) {
  prof__rp_location key = {.id = id}, *kp = &key;
  prof__rp_location **f = bsearch(&kp, r->locs, r->p->n_location,
                                  sizeof(*r->locs), prof__rp_cmp_loc);
  return f ? *f : NULL;
}

static ssize_t prof__rp_fn(const struct prof__rp *r, uint64_t id) {
  prof__rp_function key = {.id = id}, *kp = &key;
  prof__rp_function **f = bsearch(&kp, r->funcs, r->p->n_function,
                                  sizeof(*r->funcs), prof__rp_cmp_fn);
  return f ? f - r->funcs : -1;
}

/* Picks the weight and count columns; PROF_EFORMAT for a non-CPU profile. */
static int prof__rp_types(struct prof__rp *r, char *err, size_t errlen) {
  const prof__rp_profile *p = r->p;
  r->weight_ix = r->count_ix = -1;
  for (size_t i = 0; i < p->n_sample_type; i++) {
    const char *type = prof__rp_str(r, p->sample_type[i]->type);
    const char *unit = prof__rp_str(r, p->sample_type[i]->unit);
    if (r->weight_ix < 0 && strcmp(unit, "nanoseconds") == 0) {
      r->weight_ix = (int)i;
      if ((strcmp(type, "wall") == 0 || strcmp(type, "cpu") == 0) &&
          prof__model_set_str(r->m, &r->m->weight_kind, type) != 0)
        return PROF_ENOMEM;
    } else if (r->count_ix < 0 && (strcmp(unit, "count") == 0 ||
                                   strcmp(type, "samples") == 0)) {
      r->count_ix = (int)i;
    }
  }
  if (r->weight_ix < 0 && r->count_ix < 0) {
    prof__errf(err, errlen, "pprof profile of %s/%s: not a CPU profile "
               "(no nanoseconds or sample count)",
               p->n_sample_type ? prof__rp_str(r, p->sample_type[0]->type) : "?",
               p->n_sample_type ? prof__rp_str(r, p->sample_type[0]->unit) : "?");
    return PROF_EFORMAT;
  }
  r->period_ns = p->period_type != NULL && p->period > 0 &&
                         strcmp(prof__rp_str(r, p->period_type->unit),
                                "nanoseconds") == 0
                     ? (uint64_t)p->period
                     : 1000000000u / PROF__DEFAULT_HZ;
  return 0;
}

/* The thread of a sample, from its labels. */
static int64_t prof__rp_thread(struct prof__rp *r,
                               const Perftools__Profiles__Sample *s) {
  const char *name = NULL;
  int64_t tid = 0;
  for (size_t i = 0; i < s->n_label; i++) {
    const char *key = prof__rp_str(r, s->label[i]->key);
    if (strcmp(key, "thread") == 0)
      name = prof__rp_str(r, s->label[i]->str);
    else if (strcmp(key, "tid") == 0)
      tid = s->label[i]->num;
  }
  if (name == NULL)
    return prof__model_thread(r->m, 0, "all");
  size_t namelen;
  int64_t t2;
  if (tid == 0 && prof__parse_thread_label(name, &t2, &namelen)) {
    char *n = strndup(name, namelen); /* older "name (tid)" label */
    int64_t ti = n ? prof__model_thread(r->m, t2, n) : -1;
    free(n);
    return ti;
  }
  return prof__model_thread(r->m, tid, name);
}

/* First pass: the runtime label of each sample names its leaf
 * function's runtime. */
static int prof__rp_runtimes(struct prof__rp *r) {
  r->fn_runtime = calloc(r->p->n_function + 1, sizeof(*r->fn_runtime));
  if (r->fn_runtime == NULL)
    return PROF_ENOMEM;
  for (size_t i = 0; i < r->p->n_sample; i++) {
    const Perftools__Profiles__Sample *s = r->p->sample[i];
    const char *rt = NULL;
    for (size_t k = 0; k < s->n_label; k++)
      if (strcmp(prof__rp_str(r, s->label[k]->key), "runtime") == 0)
        rt = prof__rp_str(r, s->label[k]->str);
    prof__rp_location *leaf =
        s->n_location_id ? prof__rp_loc(r, s->location_id[0]) : NULL;
    if (rt == NULL || leaf == NULL || leaf->n_line == 0)
      continue;
    ssize_t fi = prof__rp_fn(r, leaf->line[0]->function_id);
    if (fi >= 0)
      r->fn_runtime[fi] = rt;
  }
  return 0;
}

/* Interns the frame of line k of location loc. */
static int64_t prof__rp_frame(struct prof__rp *r, const prof__rp_location *loc,
                              size_t k) {
  const Perftools__Profiles__Line *ln = loc->line[k];
  ssize_t fi = prof__rp_fn(r, ln->function_id);
  struct prof__model_frame f = {0};
  f.name = fi >= 0 ? prof__rp_str(r, r->funcs[fi]->name) : "";
  f.file = fi >= 0 ? prof__rp_str(r, r->funcs[fi]->filename) : "";
  if (*f.file == 0)
    f.file = NULL;
  if (*f.name == 0)
    f.name = "[unknown]";
  f.line = ln->line > 0 ? (uint32_t)ln->line : 0;
  f.address = loc->address;
  f.module = loc->mapping_id && loc->mapping_id <= r->p->n_mapping
                 ? (int32_t)(loc->mapping_id - 1) : -1;
  if (k + 1 < loc->n_line)
    f.flags |= PROF__FRAME_INLINED;
  if (loc->mapping_id != 0) {
    f.runtime = PROF__RUNTIME_NATIVE;
  } else if (strcmp(f.name, PROF__TRUNCATED_NAME) == 0) {
    f.runtime = PROF__RUNTIME_LIBPROF;
    f.flags |= PROF__FRAME_SYNTHETIC;
  } else {
    f.runtime = fi >= 0 && r->fn_runtime[fi] ? r->fn_runtime[fi] : "managed";
  }
  /* libprof's writer: system_name "<runtime>:<name>" for managed code. */
  const char *sys = fi >= 0 ? prof__rp_str(r, r->funcs[fi]->system_name) : "";
  size_t sl = strlen(sys), nl = strlen(f.name);
  char *rt = NULL;
  if (loc->mapping_id == 0 && sl > nl + 1 && sys[sl - nl - 1] == ':' &&
      strcmp(sys + sl - nl, f.name) == 0) {
    rt = strndup(sys, sl - nl - 1);
    if (rt == NULL)
      return -1;
    f.runtime = rt;
  }
  int64_t idx = prof__model_intern_frame(r->m, &f);
  free(rt);
  return idx;
}

static int prof__rp_push(struct prof__rp *r, size_t n, uint32_t v) {
  if (prof__grow((void **)&r->stack, &r->cap, n + 1, sizeof(*r->stack)))
    return -1;
  r->stack[n] = v;
  return 0;
}

/* One sample: its stack, root first, and its count and weight. */
static int prof__rp_sample(struct prof__rp *r,
                           const Perftools__Profiles__Sample *s, char *err,
                           size_t errlen) {
  size_t n = 0;
  for (size_t i = s->n_location_id; i-- > 0;) {
    prof__rp_location *loc = prof__rp_loc(r, s->location_id[i]);
    if (loc == NULL) {
      prof__errf(err, errlen, "sample refers to location %llu, which the "
                 "profile lacks", (unsigned long long)s->location_id[i]);
      return PROF_EFORMAT;
    }
    for (size_t k = loc->n_line; k-- > 0;) {
      int64_t fi = prof__rp_frame(r, loc, k);
      if (fi < 0 || prof__rp_push(r, n++, (uint32_t)fi) != 0)
        return PROF_ENOMEM;
    }
  }
  int64_t w = r->weight_ix >= 0 && (size_t)r->weight_ix < s->n_value
                  ? s->value[r->weight_ix] : -1;
  int64_t c = r->count_ix >= 0 && (size_t)r->count_ix < s->n_value
                  ? s->value[r->count_ix] : -1;
  if (w < 0 && c < 0)
    return 0;
  if (c < 0)
    c = w / (int64_t)r->period_ns > 0 ? w / (int64_t)r->period_ns : 1;
  uint64_t wu = w < 0 ? prof__rj_mul((uint64_t)c, r->period_ns) : (uint64_t)w;
  if (wu == 0 && c == 0)
    return 0;
  int64_t ti = prof__rp_thread(r, s);
  if (ti < 0)
    return PROF_ENOMEM;
  return prof__rj_add(r->m, &r->total, (size_t)ti, r->stack, (uint32_t)n,
                      (uint64_t)c, wu, err, errlen);
}

/* key=value words of libprof's comments: program, pid, mode, hz and the
 * counters. Other writers' comments are ignored. */
static int prof__rp_comment(struct prof__model *m, const char *c) {
  static const char *const keys[] = {"program=", "pid=", "mode=", "hz=",
                                     "samples=", "dropped=", "truncated=",
                                     "unwind_failed=", "misuse="};
  char *copy = strdup(c), *save = NULL, *w;
  if (copy == NULL)
    return PROF_ENOMEM;
  int rc = 0;
  for (w = strtok_r(copy, " ", &save); w && rc == 0;
       w = strtok_r(NULL, " ", &save)) {
    size_t k = 0;
    while (k < 9 && strncmp(w, keys[k], strlen(keys[k])) != 0)
      k++;
    if (k == 9)
      continue;
    const char *v = w + strlen(keys[k]);
    uint64_t n = strtoull(v, NULL, 10);
    uint64_t *ctr[] = {&m->counters.samples, &m->counters.dropped,
                       &m->counters.truncated, &m->counters.unwind_failed,
                       &m->counters.misuse};
    if (k == 0)
      rc = prof__model_set_str(m, &m->program, v);
    else if (k == 1)
      m->pid = (int64_t)n;
    else if (k == 2)
      rc = prof__model_set_str(m, &m->mode, v);
    else if (k == 3)
      m->hz = (uint32_t)n;
    else
      *ctr[k - 4] = n;
  }
  free(copy);
  return rc ? PROF_ENOMEM : 0;
}

static int prof__rp_meta(struct prof__rp *r) {
  const prof__rp_profile *p = r->p;
  struct prof__model *m = r->m;
  m->start_unix_ns = p->time_nanos > 0 ? (uint64_t)p->time_nanos : 0;
  m->duration_ns = p->duration_nanos > 0 ? (uint64_t)p->duration_nanos : 0;
  for (size_t i = 0; i < p->n_comment; i++)
    if (prof__rp_comment(m, prof__rp_str(r, p->comment[i])) != 0)
      return PROF_ENOMEM;
  if (m->hz == 0 && p->period_type != NULL && r->period_ns > 0)
    m->hz = (uint32_t)(1000000000u / r->period_ns);
  for (size_t i = 0; i < p->n_mapping; i++) {
    const Perftools__Profiles__Mapping *mp = p->mapping[i];
    const char *bid = prof__rp_str(r, mp->build_id);
    struct prof__model_module mod = {prof__rp_str(r, mp->filename),
                                     *bid ? bid : NULL, mp->memory_start,
                                     mp->memory_limit, mp->file_offset};
    if (prof__model_add_module(m, &mod) < 0)
      return PROF_ENOMEM;
  }
  return 0;
}

/* Sorts the tables by id; checks every string index once. */
static int prof__rp_index(struct prof__rp *r, char *err, size_t errlen) {
  const prof__rp_profile *p = r->p;
  r->locs = malloc((p->n_location + 1) * sizeof(*r->locs));
  r->funcs = malloc((p->n_function + 1) * sizeof(*r->funcs));
  if (r->locs == NULL || r->funcs == NULL)
    return PROF_ENOMEM;
  memcpy(r->locs, p->location, p->n_location * sizeof(*r->locs));
  memcpy(r->funcs, p->function, p->n_function * sizeof(*r->funcs));
  qsort(r->locs, p->n_location, sizeof(*r->locs), prof__rp_cmp_loc);
  qsort(r->funcs, p->n_function, sizeof(*r->funcs), prof__rp_cmp_fn);
  if (p->n_string_table == 0 || p->string_table[0][0] != 0) {
    prof__errf(err, errlen, "pprof string table does not start with \"\"");
    return PROF_EFORMAT;
  }
  for (size_t i = 0; i < p->n_mapping; i++)
    if (p->mapping[i]->id != i + 1) {
      prof__errf(err, errlen, "pprof mapping ids are not 1..%zu",
                 p->n_mapping);
      return PROF_EFORMAT;
    }
  return 0;
}

int prof__read_pprof(struct prof__model *m, const char *buf, size_t len,
                     char *err, size_t errlen) {
  uint8_t *raw = NULL;
  size_t rawlen = 0;
  int rc = prof__rp_gunzip(buf, len, &raw, &rawlen);
  if (rc != 0) {
    prof__errf(err, errlen, rc == PROF_ENOMEM ? "out of memory" :
               "gzip data is corrupt or truncated");
    return rc;
  }
  prof__rp_profile *p = perftools__profiles__profile__unpack(NULL, rawlen,
                                                             raw);
  free(raw);
  if (p == NULL) {
    prof__errf(err, errlen, "gzip data is not a pprof profile (protobuf "
               "perftools.profiles.Profile)");
    return PROF_EFORMAT;
  }
  struct prof__rp r = {.m = m, .p = p};
  rc = prof__rp_index(&r, err, errlen);
  if (rc == 0)
    rc = prof__rp_types(&r, err, errlen);
  if (rc == 0)
    rc = prof__rp_meta(&r);
  if (rc == 0)
    rc = prof__rp_runtimes(&r);
  for (size_t i = 0; rc == 0 && i < p->n_sample; i++)
    rc = prof__rp_sample(&r, p->sample[i], err, errlen);
  if (rc == PROF_ENOMEM)
    prof__errf(err, errlen, "out of memory");
  free(r.locs);
  free(r.funcs);
  free(r.fn_runtime);
  free(r.stack);
  perftools__profiles__profile__free_unpacked(p, NULL);
  return rc;
}
