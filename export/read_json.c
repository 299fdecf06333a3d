/* JSON input: parsing, format detection, shared getters, and the
 * d3-flame-graph reader. (The speedscope reader is read_speedscope.c.)
 *
 * d3 input. libprof's own layout (process root, then one node per thread
 * named "<name> (<tid>)" without libtype, then frames) gives back the
 * threads. Any other tree is read as one thread, "all (0)", whose stacks
 * start at the root node. A node's self weight is its value minus its
 * children's. Values are nanoseconds when the node carries libprof's
 * "samples" count; without it (d3 files from other tools) the value is a
 * sample count, as d3-flame-graph's labels call it, taken at the default
 * rate. Thread-safe (no shared state); never in a signal handler. */
#include <stdlib.h>
#include <string.h>

#include "export/read_json.h"
#include "export/writers.h"
#include "libprof.h"


const char *prof__rj_str(const json_t *o, const char *k) {
  const json_t *v = json_object_get(o, k);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

uint64_t prof__rj_round(double x) {
  /* Without libm: inputs are checked non-negative and below 2^64. */
  if (!(x > 0))
    return 0;
  if (x >= 1.8e19)
    return UINT64_MAX;
  return (uint64_t)(x + 0.5);
}

double prof__rj_num(const json_t *j) {
  return json_is_number(j) ? json_number_value(j) : 0.0;
}

int prof__rj_u64(const json_t *o, const char *k, uint64_t *v) {
  const json_t *j = json_object_get(o, k);
  if (j == NULL)
    return 0;
  if (json_is_integer(j) && json_integer_value(j) >= 0) {
    *v = (uint64_t)json_integer_value(j);
    return 1;
  }
  double d = prof__rj_num(j);
  if (json_is_real(j) && d >= 0 && d < 1.8e19 && (double)(uint64_t)d == d) {
    *v = (uint64_t)d;
    return 1;
  }
  return -1;
}

uint64_t prof__rj_mul(uint64_t a, uint64_t b) {
  uint64_t r;
  return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

int prof__rj_add(struct prof__model *m, struct prof__rj_total *t, size_t ti,
                 const uint32_t *frames, uint32_t n, uint64_t count,
                 uint64_t weight_ns, char *err, size_t errlen) {
  uint32_t flags = 0;
  if (n > PROF__READ_MAX_DEPTH) {
    prof__errf(err, errlen, "a stack of %u frames, over the limit of %d",
               n, PROF__READ_MAX_DEPTH);
    return PROF_EFORMAT;
  }
  if (count > PROF__READ_MAX_COUNT - t->count) {
    prof__errf(err, errlen, "sample counts add up to more than %lld, more "
               "than a profile can hold", (long long)PROF__READ_MAX_COUNT);
    return PROF_EFORMAT;
  }
  if (weight_ns > INT64_MAX - t->weight_ns) {
    prof__errf(err, errlen, "weights add up to more than %lld ns, more than "
               "a profile can hold", (long long)INT64_MAX);
    return PROF_EFORMAT;
  }
  t->count += count;
  t->weight_ns += weight_ns;
  static const uint32_t no_frames[1];
  if (n == 0) {
    frames = no_frames; /* a reader's stack buffer may not exist yet */
  } else if ((m->frames[frames[0]].flags & PROF__FRAME_SYNTHETIC) &&
             strcmp(m->frames[frames[0]].name, PROF__TRUNCATED_NAME) == 0) {
    flags |= PROF__STACK_TRUNCATED;
  }
  int64_t s = prof__model_intern_stack(m, frames, n, flags);
  if (s < 0 || prof__model_add_sample(m, ti, (uint32_t)s, count, weight_ns)) {
    prof__errf(err, errlen, "out of memory");
    return PROF_ENOMEM;
  }
  return 0;
}

int prof__read_json(struct prof__model *m, const char *buf, size_t len,
                    char *err, size_t errlen) {
  json_error_t je;
  json_t *root = json_loadb(buf, len, 0, &je);
  int rc;
  if (root == NULL) {
    prof__errf(err, errlen, "invalid JSON at line %d, column %d: %s",
               je.line, je.column, je.text);
    return PROF_EFORMAT;
  }
  if (json_is_object(root) && json_object_get(root, "$schema") != NULL) {
    rc = prof__read_speedscope(m, root, err, errlen);
  } else if (json_is_object(root) && json_object_get(root, "shared")) {
    prof__errf(err, errlen, "not a speedscope file: \"$schema\" is missing");
    rc = PROF_EFORMAT;
  } else if (json_is_object(root) && json_object_get(root, "name") &&
             json_object_get(root, "value")) {
    rc = prof__read_d3(m, root, err, errlen);
  } else {
    prof__errf(err, errlen, "JSON, but neither a speedscope file "
                            "(\"$schema\") nor a d3-flame-graph tree "
                            "(\"name\", \"value\")");
    rc = PROF_EFORMAT;
  }
  json_decref(root);
  return rc;
}

/* ---- d3-flame-graph ------------------------------------------------------ */

struct prof__d3r {
  struct prof__model *m;
  struct prof__rj_total total;
  uint32_t path[PROF__READ_MAX_DEPTH];
  uint64_t period;
  char *err;
  size_t errlen;
};

static int64_t prof__d3r_frame(struct prof__d3r *r, const json_t *node) {
  struct prof__model_frame f = {0};
  const char *libtype = prof__rj_str(node, "libtype");
  uint64_t line = 0;
  f.name = prof__rj_str(node, "name");
  f.file = prof__rj_str(node, "file");
  f.module = -1;
  if (prof__rj_u64(node, "line", &line) > 0 && line <= UINT32_MAX)
    f.line = (uint32_t)line;
  /* libprof writes the runtime of inlined and managed ("jit") frames in
   * "runtime"; other writers' libtype is all there is. */
  f.runtime = prof__rj_str(node, "runtime");
  if (f.runtime == NULL)
    f.runtime = libtype;
  if (libtype != NULL && strcmp(libtype, "inlined") == 0)
    f.flags |= PROF__FRAME_INLINED;
  if (f.runtime != NULL && strcmp(f.runtime, PROF__RUNTIME_LIBPROF) == 0)
    f.flags |= PROF__FRAME_SYNTHETIC;
  return prof__model_intern_frame(r->m, &f);
}

/* Self value and self count of a node: its own minus its children's. */
static int prof__d3r_self(struct prof__d3r *r, const json_t *node,
                          uint64_t *count, uint64_t *weight) {
  const json_t *kids = json_object_get(node, "children");
  const json_t *v = json_object_get(node, "value");
  uint64_t samples = 0;
  int has_samples = prof__rj_u64(node, "samples", &samples);
  if (has_samples < 0) {
    prof__errf(r->err, r->errlen, "d3 node \"%s\": \"samples\" must be a "
               "non-negative integer", prof__rj_str(node, "name"));
    return PROF_EFORMAT;
  }
  double value = prof__rj_num(v), cv = 0, cs = 0;
  if (!json_is_number(v) || !(value >= 0 && value < 1.8e19)) {
    prof__errf(r->err, r->errlen, "d3 node \"%s\": \"value\" must be a "
               "non-negative number", prof__rj_str(node, "name"));
    return PROF_EFORMAT;
  }
  /* Children are checked when visited; here a bad value only must not
   * make the sums negative. */
  for (size_t i = 0; i < json_array_size(kids); i++) {
    const json_t *c = json_array_get(kids, i);
    double x = prof__rj_num(json_object_get(c, "value"));
    double y = prof__rj_num(json_object_get(c, "samples"));
    cv += x > 0 ? x : 0;
    cs += y > 0 ? y : 0;
  }
  double self = value > cv ? value - cv : 0;
  if (has_samples) {
    *weight = prof__rj_round(self);
    uint64_t child_samples = prof__rj_round(cs);
    *count = samples > child_samples ? samples - child_samples : 0;
  } else {
    *count = prof__rj_round(self);
    *weight = prof__rj_mul(*count, r->period);
    r->m->weights_from_counts = 1;
  }
  return 0;
}

/* Reads node (a frame at path depth `depth`) and its subtree into ti. */
static int prof__d3r_node(struct prof__d3r *r, const json_t *node, size_t ti,
                          uint32_t depth, int is_frame) {
  uint64_t count = 0, weight = 0;
  if (!json_is_object(node) || prof__rj_str(node, "name") == NULL) {
    prof__errf(r->err, r->errlen, "d3 node at depth %u: not an object "
               "with a string \"name\"", depth);
    return PROF_EFORMAT;
  }
  if (depth + 1 >= PROF__READ_MAX_DEPTH) {
    prof__errf(r->err, r->errlen, "d3 tree deeper than %d levels",
               PROF__READ_MAX_DEPTH);
    return PROF_EFORMAT;
  }
  if (is_frame) {
    int64_t fi = prof__d3r_frame(r, node);
    if (fi < 0)
      return PROF_ENOMEM;
    r->path[depth++] = (uint32_t)fi;
  }
  int rc = prof__d3r_self(r, node, &count, &weight);
  if (rc == 0 && (count != 0 || weight != 0))
    rc = prof__rj_add(r->m, &r->total, ti, r->path, depth, count, weight,
                      r->err, r->errlen);
  const json_t *kids = json_object_get(node, "children");
  if (rc == 0 && kids != NULL && !json_is_array(kids)) {
    prof__errf(r->err, r->errlen, "d3 node \"%s\": \"children\" is not an "
               "array", prof__rj_str(node, "name"));
    return PROF_EFORMAT;
  }
  for (size_t i = 0; rc == 0 && i < json_array_size(kids); i++)
    rc = prof__d3r_node(r, json_array_get(kids, i), ti, depth, 1);
  return rc;
}

/* 1 when the root's children are libprof thread nodes. */
static int prof__d3r_is_libprof(const json_t *root) {
  const json_t *kids = json_object_get(root, "children");
  int64_t tid;
  size_t namelen;
  if (json_object_get(root, "samples") == NULL || !json_is_array(kids))
    return 0;
  for (size_t i = 0; i < json_array_size(kids); i++) {
    const json_t *c = json_array_get(kids, i);
    const char *name = prof__rj_str(c, "name");
    if (name == NULL || json_object_get(c, "libtype") != NULL ||
        !prof__parse_thread_label(name, &tid, &namelen))
      return 0;
  }
  return 1;
}

static int prof__d3r_thread(struct prof__d3r *r, const json_t *node) {
  const char *label = prof__rj_str(node, "name");
  int64_t tid;
  size_t namelen;
  prof__parse_thread_label(label, &tid, &namelen);
  char *name = strndup(label, namelen);
  int64_t ti = name ? prof__model_thread(r->m, tid, name) : -1;
  free(name);
  if (ti < 0)
    return PROF_ENOMEM;
  return prof__d3r_node(r, node, (size_t)ti, 0, 0);
}

int prof__read_d3(struct prof__model *m, const json_t *root, char *err,
                  size_t errlen) {
  struct prof__d3r *r = malloc(sizeof(*r));
  const json_t *kids = json_object_get(root, "children");
  int rc = 0;
  if (r == NULL)
    return PROF_ENOMEM;
  r->m = m;
  r->total = (struct prof__rj_total){0, 0};
  r->period = prof__period_ns(m);
  r->err = err;
  r->errlen = errlen;
  if (prof__d3r_is_libprof(root)) {
    if (prof__model_set_str(m, &m->program, prof__rj_str(root, "name")))
      rc = PROF_ENOMEM;
    for (size_t i = 0; rc == 0 && i < json_array_size(kids); i++)
      rc = prof__d3r_thread(r, json_array_get(kids, i));
  } else {
    int64_t ti = prof__model_thread(m, 0, "all");
    rc = ti < 0 ? PROF_ENOMEM : prof__d3r_node(r, root, (size_t)ti, 0, 1);
  }
  free(r);
  return rc;
}
