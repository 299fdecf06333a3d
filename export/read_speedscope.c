/* speedscope reader: "sampled" and "evented" profiles of any speedscope
 * file, plus libprof's extra fields when present (frame runtime, inlined
 * and synthetic marks, addresses and modules; per-profile tid, thread and
 * sample counts; session metadata). See docs/formats.md.
 *
 * Units: time units are scaled to nanoseconds. "none" means sample counts
 * (speedscope's own import of collapsed stacks writes that), taken at the
 * default rate; "bytes" is refused: it is not a CPU profile. Without
 * libprof's counts, each sampled entry counts as one sample and each
 * evented interval as one. Thread-safe; never in a signal handler. */
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "export/read_json.h"
#include "export/writers.h"
#include "libprof.h"

struct prof__ssr {
  struct prof__model *m;
  struct prof__rj_total total;
  uint32_t *fmap;  /* file frame index -> model frame index */
  size_t nframes;
  uint32_t *stack;  /* one stack, file frame indices  */
  uint32_t *mapped; /* the same, model frame indices  */
  size_t stack_cap; /* of both                        */
  double scale;    /* unit -> nanoseconds; 0 = unit "none" (counts) */
  char *err;
  size_t errlen;
};

static uint64_t prof__ssr_hex(const json_t *o, const char *k) {
  const char *s = prof__rj_str(o, k);
  return s ? strtoull(s, NULL, 16) : 0;
}

static int prof__ssr_modules(struct prof__model *m, const json_t *mods) {
  for (size_t i = 0; i < json_array_size(mods); i++) {
    const json_t *o = json_array_get(mods, i);
    struct prof__model_module mod = {0};
    mod.path = prof__rj_str(o, "path");
    mod.build_id = prof__rj_str(o, "build_id");
    mod.start = prof__ssr_hex(o, "start");
    mod.limit = prof__ssr_hex(o, "limit");
    mod.file_offset = prof__ssr_hex(o, "file_offset");
    if (prof__model_add_module(m, &mod) < 0)
      return PROF_ENOMEM;
  }
  return 0;
}

/* The file-level "libprof" object, when there is one. */
static int prof__ssr_meta(struct prof__model *m, const json_t *root) {
  const json_t *meta = json_object_get(root, "libprof");
  const json_t *c = json_object_get(meta, "counters");
  uint64_t v = 0;
  if (!json_is_object(meta))
    return 0;
  if (prof__model_set_str(m, &m->program, prof__rj_str(meta, "program")) ||
      prof__model_set_str(m, &m->mode, prof__rj_str(meta, "mode")) ||
      prof__model_set_str(m, &m->weight_kind,
                          prof__rj_str(meta, "weight_kind")))
    return PROF_ENOMEM;
  m->pid = json_integer_value(json_object_get(meta, "pid"));
  if (prof__rj_u64(meta, "hz", &v) > 0 && v <= UINT32_MAX)
    m->hz = (uint32_t)v;
  prof__rj_u64(meta, "start_unix_ns", &m->start_unix_ns);
  prof__rj_u64(meta, "duration_ns", &m->duration_ns);
  prof__rj_u64(c, "samples", &m->counters.samples);
  prof__rj_u64(c, "dropped", &m->counters.dropped);
  prof__rj_u64(c, "truncated", &m->counters.truncated);
  prof__rj_u64(c, "unwind_failed", &m->counters.unwind_failed);
  prof__rj_u64(c, "misuse", &m->counters.misuse);
  return prof__ssr_modules(m, json_object_get(meta, "modules"));
}

static int prof__ssr_frame(struct prof__ssr *r, const json_t *o, size_t i) {
  struct prof__model_frame f = {0};
  uint64_t v = 0;
  f.name = prof__rj_str(o, "name");
  if (!json_is_object(o) || f.name == NULL) {
    prof__errf(r->err, r->errlen, "shared.frames[%zu]: not an object with "
               "a string \"name\"", i);
    return PROF_EFORMAT;
  }
  f.file = prof__rj_str(o, "file");
  if (prof__rj_u64(o, "line", &v) > 0 && v <= UINT32_MAX)
    f.line = (uint32_t)v;
  f.runtime = prof__rj_str(o, "runtime");
  /* libprof's writer names a managed function "<name> [<runtime>]" when
   * a function of another runtime has the same name: undo it. */
  char *plain = NULL;
  size_t nl = strlen(f.name), rl = f.runtime ? strlen(f.runtime) : 0;
  if (rl > 0 && nl > rl + 3 && f.name[nl - 1] == ']' &&
      strncmp(f.name + nl - rl - 3, " [", 2) == 0 &&
      strncmp(f.name + nl - rl - 1, f.runtime, rl) == 0) {
    if ((plain = strndup(f.name, nl - rl - 3)) == NULL)
      return PROF_ENOMEM;
    f.name = plain;
  }
  if (json_is_true(json_object_get(o, "inlined")))
    f.flags |= PROF__FRAME_INLINED;
  if (json_is_true(json_object_get(o, "synthetic")))
    f.flags |= PROF__FRAME_SYNTHETIC;
  f.address = prof__ssr_hex(o, "address");
  f.module = -1;
  if (prof__rj_u64(o, "module", &v) > 0 && v < r->m->nmodules)
    f.module = (int32_t)v;
  int64_t fi = prof__model_intern_frame(r->m, &f);
  free(plain);
  if (fi < 0)
    return PROF_ENOMEM;
  r->fmap[i] = (uint32_t)fi;
  return 0;
}

static int prof__ssr_frames(struct prof__ssr *r, const json_t *root) {
  const json_t *frames = json_object_get(json_object_get(root, "shared"),
                                         "frames");
  if (!json_is_array(frames)) {
    prof__errf(r->err, r->errlen, "\"shared.frames\" is missing or not an "
                                  "array");
    return PROF_EFORMAT;
  }
  r->nframes = json_array_size(frames);
  r->fmap = malloc((r->nframes + 1) * sizeof(*r->fmap));
  if (r->fmap == NULL)
    return PROF_ENOMEM;
  for (size_t i = 0; i < r->nframes; i++) {
    int rc = prof__ssr_frame(r, json_array_get(frames, i), i);
    if (rc != 0)
      return rc;
  }
  return 0;
}

/* The unit's scale to nanoseconds (0 for "none"), or -1 if refused. */
static double prof__ssr_scale(const char *unit) {
  static const struct {
    const char *name;
    double scale;
  } units[] = {{"nanoseconds", 1},       {"microseconds", 1e3},
               {"milliseconds", 1e6},    {"seconds", 1e9},
               {"none", 0}};
  for (size_t i = 0; unit && i < sizeof(units) / sizeof(units[0]); i++)
    if (strcmp(unit, units[i].name) == 0)
      return units[i].scale;
  return -1;
}

/* Adds the stack in r->stack[0..n) (file frame indices, root first)
 * with a raw weight in the profile's unit. An integer weight in
 * nanoseconds (libprof's own files) is taken exactly when `exact` is that
 * JSON value: a double holds only 53 bits. */
static int prof__ssr_add(struct prof__ssr *r, size_t ti, uint32_t n,
                         double raw, const json_t *exact, uint64_t count) {
  uint64_t w;
  if (r->scale == 0) { /* "none": the weights are sample counts */
    count = prof__rj_round(raw);
    w = prof__rj_mul(count, prof__period_ns(r->m));
    r->m->weights_from_counts = 1;
  } else if (r->scale == 1 && json_is_integer(exact)) {
    w = (uint64_t)json_integer_value(exact); /* checked >= 0 */
  } else {
    w = prof__rj_round(raw * r->scale);
  }
  for (uint32_t k = 0; k < n; k++)
    r->mapped[k] = r->fmap[r->stack[k]];
  return prof__rj_add(r->m, &r->total, ti, r->mapped, n, count, w, r->err,
                      r->errlen);
}

/* Makes r->stack hold n frames. 0 or -1 on ENOMEM. */
static int prof__ssr_reserve(struct prof__ssr *r, size_t n) {
  size_t cap = r->stack_cap; /* both arrays have it */
  if (prof__grow((void **)&r->stack, &cap, n, sizeof(*r->stack)))
    return -1;
  cap = r->stack_cap;
  if (prof__grow((void **)&r->mapped, &cap, n, sizeof(*r->mapped)))
    return -1;
  r->stack_cap = cap;
  return 0;
}

/* Reads stack j of a sampled profile into r->stack; returns its depth,
 * -1 (with err set) when it is malformed, -2 on ENOMEM. */
static int64_t prof__ssr_stack(struct prof__ssr *r, const json_t *s,
                               size_t pi, size_t j) {
  size_t n = json_array_size(s);
  if (!json_is_array(s) || n > PROF__READ_MAX_DEPTH) {
    prof__errf(r->err, r->errlen, "profiles[%zu].samples[%zu]: not an "
               "array of at most %d frame indices", pi, j,
               PROF__READ_MAX_DEPTH);
    return -1;
  }
  if (prof__ssr_reserve(r, n) != 0) {
    prof__errf(r->err, r->errlen, "out of memory");
    return -2;
  }
  for (size_t k = 0; k < n; k++) {
    const json_t *v = json_array_get(s, k);
    json_int_t x = json_integer_value(v);
    if (!json_is_integer(v) || x < 0 || (size_t)x >= r->nframes) {
      prof__errf(r->err, r->errlen, "profiles[%zu].samples[%zu][%zu]: "
                 "frame index out of range", pi, j, k);
      return -1;
    }
    r->stack[k] = (uint32_t)x;
  }
  return (int64_t)n;
}

/* The model thread of profile pi: libprof's "tid"/"thread" when present,
 * else "<name> (<tid>)" parsed from its name, else tid = pi and the whole
 * name. */
static int64_t prof__ssr_thread(struct prof__ssr *r, const json_t *p,
                                size_t pi) {
  const json_t *ext = json_object_get(p, "libprof");
  const char *name = prof__rj_str(p, "name");
  const json_t *tid = json_object_get(ext, "tid");
  int64_t t = (int64_t)pi;
  size_t namelen;
  if (name == NULL)
    name = "";
  if (json_is_integer(tid) && prof__rj_str(ext, "thread") != NULL)
    return prof__model_thread(r->m, json_integer_value(tid),
                              prof__rj_str(ext, "thread"));
  if (!prof__parse_thread_label(name, &t, &namelen))
    return prof__model_thread(r->m, (int64_t)pi, name);
  char *n = strndup(name, namelen);
  int64_t ti = n ? prof__model_thread(r->m, t, n) : -1;
  free(n);
  return ti;
}

static int prof__ssr_sampled(struct prof__ssr *r, const json_t *p, size_t pi,
                             size_t ti) {
  const json_t *samples = json_object_get(p, "samples");
  const json_t *weights = json_object_get(p, "weights");
  const json_t *counts = json_object_get(json_object_get(p, "libprof"),
                                         "counts");
  size_t n = json_array_size(samples);
  if (!json_is_array(samples) || !json_is_array(weights) ||
      json_array_size(weights) != n) {
    prof__errf(r->err, r->errlen, "profiles[%zu]: \"samples\" and "
               "\"weights\" must be arrays of the same length", pi);
    return PROF_EFORMAT;
  }
  if (json_array_size(counts) != n)
    counts = NULL; /* not libprof's: one sample per entry */
  for (size_t j = 0; j < n; j++) {
    const json_t *w = json_array_get(weights, j);
    int64_t depth = prof__ssr_stack(r, json_array_get(samples, j), pi, j);
    if (depth < 0)
      return depth == -2 ? PROF_ENOMEM : PROF_EFORMAT;
    if (!json_is_number(w) || json_number_value(w) < 0) {
      prof__errf(r->err, r->errlen, "profiles[%zu].weights[%zu]: not a "
                 "non-negative number", pi, j);
      return PROF_EFORMAT;
    }
    const json_t *c = json_array_get(counts, j);
    if (counts && (!json_is_integer(c) || json_integer_value(c) < 0)) {
      prof__errf(r->err, r->errlen, "profiles[%zu].libprof.counts[%zu]: "
                 "not a non-negative integer", pi, j);
      return PROF_EFORMAT;
    }
    int rc = prof__ssr_add(r, ti, (uint32_t)depth, json_number_value(w), w,
                           counts ? (uint64_t)json_integer_value(c) : 1);
    if (rc != 0)
      return rc;
  }
  return 0;
}

/* One evented event: opens or closes a frame at time `at`. The interval
 * since the previous event belongs to the stack open during it. Returns
 * 0, 1 for a bad event, or the error of prof__ssr_add (err set). */
static int prof__ssr_event(struct prof__ssr *r, const json_t *e, size_t ti,
                           uint32_t *depth, double *last) {
  const char *type = prof__rj_str(e, "type");
  const json_t *fr = json_object_get(e, "frame");
  json_int_t f = json_integer_value(fr);
  double at = prof__rj_num(json_object_get(e, "at"));
  int open = type && strcmp(type, "O") == 0;
  if (!(open || (type && strcmp(type, "C") == 0)) || !json_is_integer(fr) ||
      f < 0 || (size_t)f >= r->nframes || at < *last ||
      !json_is_number(json_object_get(e, "at")))
    return 1;
  if (*depth > 0 && at > *last) {
    int rc = prof__ssr_add(r, ti, *depth, at - *last, NULL, 1);
    if (rc != 0)
      return rc;
  }
  *last = at;
  if (open) {
    if (*depth >= PROF__READ_MAX_DEPTH)
      return 1;
    if (prof__ssr_reserve(r, *depth + 1) != 0)
      return PROF_ENOMEM;
    r->stack[(*depth)++] = (uint32_t)f;
    return 0;
  }
  if (*depth == 0 || r->stack[*depth - 1] != (uint32_t)f)
    return 1; /* closes a frame that is not the innermost */
  (*depth)--;
  return 0;
}

static int prof__ssr_evented(struct prof__ssr *r, const json_t *p, size_t pi,
                             size_t ti) {
  const json_t *events = json_object_get(p, "events");
  uint32_t depth = 0;
  double last = prof__rj_num(json_object_get(p, "startValue"));
  if (!json_is_array(events)) {
    prof__errf(r->err, r->errlen, "profiles[%zu]: \"events\" is not an "
               "array", pi);
    return PROF_EFORMAT;
  }
  for (size_t j = 0; j < json_array_size(events); j++) {
    int rc = prof__ssr_event(r, json_array_get(events, j), ti, &depth,
                             &last);
    if (rc == 1) {
      prof__errf(r->err, r->errlen, "profiles[%zu].events[%zu]: bad event "
                 "(type, frame, time order, nesting or depth)", pi, j);
      return PROF_EFORMAT;
    }
    if (rc != 0)
      return rc;
  }
  return 0;
}

static int prof__ssr_profile(struct prof__ssr *r, const json_t *p,
                             size_t pi) {
  const char *type = prof__rj_str(p, "type");
  r->scale = prof__ssr_scale(prof__rj_str(p, "unit"));
  if (!json_is_object(p) || type == NULL || r->scale < 0) {
    prof__errf(r->err, r->errlen, "profiles[%zu]: needs \"type\" and a time "
               "or \"none\" \"unit\"", pi);
    return PROF_EFORMAT;
  }
  int sampled = strcmp(type, "sampled") == 0;
  if (!sampled && strcmp(type, "evented") != 0) {
    prof__errf(r->err, r->errlen, "profiles[%zu]: unknown type \"%s\"", pi,
               type);
    return PROF_EFORMAT;
  }
  /* An empty profile (libprof writes one for an empty session) makes no
   * thread. */
  if (json_array_size(json_object_get(p, sampled ? "samples" : "events")) ==
      0)
    return 0;
  int64_t ti = prof__ssr_thread(r, p, pi);
  if (ti < 0)
    return PROF_ENOMEM;
  return sampled ? prof__ssr_sampled(r, p, pi, (size_t)ti)
                 : prof__ssr_evented(r, p, pi, (size_t)ti);
}

int prof__read_speedscope(struct prof__model *m, const json_t *root,
                          char *err, size_t errlen) {
  const char *schema = prof__rj_str(root, "$schema");
  const json_t *profiles = json_object_get(root, "profiles");
  struct prof__ssr r = {.m = m, .err = err, .errlen = errlen};
  int rc = 0;
  if (schema == NULL || strcmp(schema, PROF__SPEEDSCOPE_SCHEMA) != 0) {
    prof__errf(err, errlen, "unsupported \"$schema\" \"%s\" (expected %s)",
               schema ? schema : "?", PROF__SPEEDSCOPE_SCHEMA);
    return PROF_EFORMAT;
  }
  if (!json_is_array(profiles)) {
    prof__errf(err, errlen, "\"profiles\" is missing or not an array");
    return PROF_EFORMAT;
  }
  rc = prof__ssr_meta(m, root);
  if (rc == 0)
    rc = prof__ssr_frames(&r, root);
  for (size_t i = 0; rc == 0 && i < json_array_size(profiles); i++)
    rc = prof__ssr_profile(&r, json_array_get(profiles, i), i);
  /* A file of another tool names its program only there; libprof's own
   * say "libprof" there when the program is unknown. */
  if (rc == 0 && m->program == NULL &&
      !json_is_object(json_object_get(root, "libprof")) &&
      prof__model_set_str(m, &m->program, prof__rj_str(root, "name")))
    rc = PROF_ENOMEM;
  free(r.fmap);
  free(r.stack);
  free(r.mapped);
  return rc;
}
