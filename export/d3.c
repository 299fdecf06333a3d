/* d3-flame-graph writer: a JSON call tree {name, value, children, libtype}.
 *
 * The root is the process (named after the program); its children are the
 * threads, named "<thread name> (<tid>)" as in speedscope; below them the
 * frames, root first. `value` is the inclusive weight in nanoseconds.
 * `libtype` is "inlined" for an inlined frame (d3-flame-graph colors it
 * aqua), "jit" for managed code (green), else the runtime ("native",
 * "libprof"); root and thread nodes have none. The root has
 * "unit": "nanoseconds", because d3-flame-graph's labels call any value
 * "samples". Extra fields d3-flame-graph ignores: "samples" (inclusive
 * sample count, so conversions keep counts), "file"/"line" when known,
 * and "runtime" on inlined and managed frames.
 * Nodes are functions (frames merged as funcs.h says), so a function
 * sampled at several PCs is one box. Siblings are ordered by function
 * index (first-seen order of the model's frames).
 * Builds the tree in memory (nodes merged by parent and frame index), then
 * streams it depth first without recursion, so deep stacks cannot
 * overflow the caller's stack. Never in a signal handler. */
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "export/funcs.h"
#include "export/out.h"
#include "export/writers.h"
#include "libprof.h"

#define PROF__D3_NONE UINT32_MAX

struct prof__d3_node {
  uint32_t frame; /* function index (funcs.h); thread nodes: thread index */
  uint32_t parent;
  uint32_t first_child, last_child, next;
  uint64_t value, count;
};

struct prof__d3_tree {
  struct prof__d3_node *nodes;
  size_t n, cap;
  uint32_t *path; /* node ids of the current stack: path[0] = thread */
};

/* Makes room for one more node. 0 or -1 on ENOMEM. */
static int prof__d3_reserve(struct prof__d3_tree *t) {
  if (t->n >= PROF__D3_NONE - 1)
    return -1;
  return prof__grow((void **)&t->nodes, &t->cap, t->n + 1, sizeof(*t->nodes));
}

/* Appends a child of `parent` (PROF__D3_NONE for the root); returns its
 * index, or PROF__D3_NONE on ENOMEM. */
static uint32_t prof__d3_add(struct prof__d3_tree *t, uint32_t parent,
                             uint32_t frame) {
  if (prof__d3_reserve(t) != 0)
    return PROF__D3_NONE;
  uint32_t i = (uint32_t)t->n++;
  struct prof__d3_node *x = &t->nodes[i];
  x->frame = frame;
  x->parent = parent;
  x->first_child = x->last_child = x->next = PROF__D3_NONE;
  x->value = x->count = 0;
  if (parent != PROF__D3_NONE) {
    struct prof__d3_node *p = &t->nodes[parent];
    if (p->last_child == PROF__D3_NONE)
      p->first_child = i;
    else
      t->nodes[p->last_child].next = i;
    p->last_child = i;
  }
  return i;
}

struct prof__d3_sort {
  const struct prof__model *m;
  const struct prof__model_thread *th;
  const uint32_t *fn; /* frame -> function */
};

/* Orders a thread's samples by their stacks, lexicographically on frame
 * indices, so stacks sharing a prefix are adjacent. */
static int prof__d3_cmp_sample(const void *a, const void *b, void *arg) {
  const struct prof__d3_sort *c = arg;
  const struct prof__model_stack *x =
      &c->m->stacks[c->th->samples[*(const uint32_t *)a].stack];
  const struct prof__model_stack *y =
      &c->m->stacks[c->th->samples[*(const uint32_t *)b].stack];
  uint32_t n = x->nframes < y->nframes ? x->nframes : y->nframes;
  for (uint32_t k = 0; k < n; k++) {
    uint32_t fx = c->fn[x->frames[k]], fy = c->fn[y->frames[k]];
    if (fx != fy)
      return fx < fy ? -1 : 1;
  }
  return (x->nframes > n) - (y->nframes > n);
}

/* Functions that stack s shares with stack p from the root. */
static uint32_t prof__d3_common(const struct prof__model_stack *p,
                                const struct prof__model_stack *s,
                                const uint32_t *fn) {
  uint32_t n = p->nframes < s->nframes ? p->nframes : s->nframes, k = 0;
  while (k < n && fn[p->frames[k]] == fn[s->frames[k]])
    k++;
  return k;
}

/* Adds one thread's subtree. With the samples in stack order, all stacks
 * through a given (parent, frame) are adjacent, so a child is made once,
 * when the walk first reaches it, and no lookup table is needed: each
 * stack reuses the path it shares with the previous one. */
static int prof__d3_thread(struct prof__d3_tree *t,
                           const struct prof__model *m,
                           const struct prof__fn_map *fm, size_t ti,
                           uint32_t *order) {
  const struct prof__model_thread *th = &m->threads[ti];
  const struct prof__model_stack *prev = NULL;
  uint32_t tn = prof__d3_add(t, 0, (uint32_t)ti);
  if (tn == PROF__D3_NONE)
    return PROF_ENOMEM;
  for (size_t i = 0; i < th->nsamples; i++)
    order[i] = (uint32_t)i;
  struct prof__d3_sort ctx = {m, th, fm->of_frame};
  qsort_r(order, th->nsamples, sizeof(*order), prof__d3_cmp_sample, &ctx);
  t->path[0] = tn;
  for (size_t i = 0; i < th->nsamples; i++) {
    const struct prof__model_sample *s = &th->samples[order[i]];
    const struct prof__model_stack *st = &m->stacks[s->stack];
    uint32_t k = prev ? prof__d3_common(prev, st, fm->of_frame) : 0;
    for (; k < st->nframes; k++) {
      t->path[k + 1] = prof__d3_add(t, t->path[k], fm->of_frame[st->frames[k]]);
      if (t->path[k + 1] == PROF__D3_NONE)
        return PROF_ENOMEM;
    }
    t->nodes[0].value += s->weight_ns;
    t->nodes[0].count += s->count;
    for (k = 0; k <= st->nframes; k++) {
      t->nodes[t->path[k]].value += s->weight_ns;
      t->nodes[t->path[k]].count += s->count;
    }
    prev = st;
  }
  return 0;
}

static int prof__d3_build(struct prof__d3_tree *t,
                          const struct prof__model *m,
                          const struct prof__fn_map *fm) {
  size_t most = 0, depth = 0;
  for (size_t i = 0; i < m->nthreads; i++)
    if (m->threads[i].nsamples > most)
      most = m->threads[i].nsamples;
  for (size_t i = 0; i < m->nstacks; i++)
    if (m->stacks[i].nframes > depth)
      depth = m->stacks[i].nframes;
  uint32_t *order = malloc((most + 1) * sizeof(*order));
  t->path = malloc((depth + 2) * sizeof(*t->path));
  int rc = order == NULL || t->path == NULL ||
                   prof__d3_add(t, PROF__D3_NONE, PROF__D3_NONE) ==
                       PROF__D3_NONE
               ? PROF_ENOMEM
               : 0;
  for (size_t ti = 0; rc == 0 && ti < m->nthreads; ti++)
    rc = prof__d3_thread(t, m, fm, ti, order);
  free(order);
  return rc;
}

/* Per function, its quoted name and the fields after "samples", written
 * once: every node of the function repeats them. */
struct prof__d3_frags {
  char *buf;        /* all fragments, owned */
  size_t len;
  uint64_t *off;    /* per function: name at off[2i], tail at off[2i+1], and
                       the tail ends at off[2i+2] (or len)              */
};

/* libtype: "inlined", "jit" for managed code (d3-flame-graph's palette
 * colours both apart from native frames), else the runtime ("native",
 * "libprof"); "runtime" names the runtime where libtype cannot. */
static void prof__d3_tail(struct prof__out *o,
                          const struct prof__model_frame *f) {
  int inl = (f->flags & PROF__FRAME_INLINED) != 0;
  int managed = f->runtime != NULL &&
                strcmp(f->runtime, PROF__RUNTIME_NATIVE) != 0 &&
                strcmp(f->runtime, PROF__RUNTIME_LIBPROF) != 0;
  prof__out_json_kv_str(o, "libtype", inl       ? "inlined"
                                      : managed ? "jit"
                                                : f->runtime);
  if (inl || managed)
    prof__out_json_kv_str(o, "runtime", f->runtime);
  prof__out_json_kv_str(o, "file", f->file);
  if (f->line != 0)
    prof__out_json_kv_u64(o, "line", f->line);
}

static int prof__d3_frags_make(struct prof__d3_frags *fr,
                               const struct prof__fn_map *fm) {
  struct prof__out *o = malloc(sizeof(*o));
  FILE *mem = open_memstream(&fr->buf, &fr->len);
  fr->off = malloc((2 * (size_t)fm->nfn + 1) * sizeof(*fr->off));
  int rc = o == NULL || mem == NULL || fr->off == NULL ? PROF_ENOMEM : 0;
  if (rc == 0) {
    prof__out_init(o, mem);
    for (size_t i = 0; i < fm->nfn; i++) {
      fr->off[2 * i] = o->total;
      prof__out_json_str(o, fm->fn[i].name);
      fr->off[2 * i + 1] = o->total;
      prof__d3_tail(o, &fm->fn[i]);
    }
    fr->off[2 * (size_t)fm->nfn] = o->total;
    rc = prof__out_flush(o) ? PROF_ENOMEM : 0;
  }
  if (mem != NULL && fclose(mem) != 0)
    rc = PROF_ENOMEM;
  /* A memory stream that ran out of memory may have dropped bytes
   * without saying so at every step: trust only a complete buffer. */
  if (rc == 0 &&
      (fr->buf == NULL || fr->len != fr->off[2 * (size_t)fm->nfn]))
    rc = PROF_ENOMEM;
  free(o);
  return rc;
}

/* Writes a node's fields; leaves "children":[ open when it has any. */
static int prof__d3_open(struct prof__out *o, const struct prof__model *m,
                         const struct prof__d3_tree *t,
                         const struct prof__d3_frags *fr, uint32_t i,
                         unsigned depth) {
  const struct prof__d3_node *x = &t->nodes[i];
  const uint64_t *off = depth >= 2 ? fr->off + 2 * (size_t)x->frame : NULL;
  prof__out_str(o, "{\"name\":");
  if (depth == 0) {
    prof__out_json_str(o, prof__program_name(m));
  } else if (depth == 1) {
    char *label = prof__thread_label(&m->threads[x->frame]);
    if (label == NULL)
      return PROF_ENOMEM;
    prof__out_json_str(o, label);
    free(label);
  } else {
    prof__out_mem(o, fr->buf + off[0], off[1] - off[0]);
  }
  prof__out_str(o, ",\"value\":");
  prof__out_u64(o, x->value);
  prof__out_str(o, ",\"samples\":");
  prof__out_u64(o, x->count);
  if (depth == 0)
    prof__out_str(o, ",\"unit\":\"nanoseconds\"");
  if (depth >= 2)
    prof__out_mem(o, fr->buf + off[1], off[2] - off[1]);
  prof__out_str(o, x->first_child != PROF__D3_NONE ? ",\"children\":[\n"
                                                   : "}");
  return 0;
}

static int prof__d3_emit(struct prof__out *o, const struct prof__model *m,
                         const struct prof__d3_tree *t,
                         const struct prof__d3_frags *fr) {
  uint32_t cur = 0;
  unsigned depth = 0;
  for (;;) {
    if (prof__d3_open(o, m, t, fr, cur, depth) != 0)
      return PROF_ENOMEM;
    if (t->nodes[cur].first_child != PROF__D3_NONE) {
      cur = t->nodes[cur].first_child;
      depth++;
      continue;
    }
    for (;;) {
      if (cur == 0)
        return 0;
      if (t->nodes[cur].next != PROF__D3_NONE) {
        prof__out_str(o, ",\n");
        cur = t->nodes[cur].next;
        break;
      }
      cur = t->nodes[cur].parent;
      depth--;
      prof__out_str(o, "]}");
    }
  }
}

int prof__write_d3(const struct prof__model *m, FILE *fp) {
  struct prof__d3_tree t = {0};
  struct prof__d3_frags fr = {0};
  struct prof__fn_map fm = {0};
  struct prof__out *o = malloc(sizeof(*o));
  int rc = o == NULL || prof__fn_map_build(m, &fm) != 0 ? PROF_ENOMEM : 0;
  if (rc == 0)
    rc = prof__d3_build(&t, m, &fm);
  if (rc == 0)
    rc = prof__d3_frags_make(&fr, &fm);
  if (rc == 0) {
    prof__out_init(o, fp);
    rc = prof__d3_emit(o, m, &t, &fr);
    prof__out_ch(o, '\n');
    int frc = prof__out_flush(o);
    if (rc == 0)
      rc = frc;
  }
  free(o);
  free(t.nodes);
  free(t.path);
  free(fr.buf);
  free(fr.off);
  prof__fn_map_free(&fm);
  return rc;
}
