/* d3-flame-graph writer: a JSON call tree {name, value, children, libtype}.
 *
 * The root is the process (named after the program); its children are the
 * threads, named "<thread name> (<tid>)" as in speedscope; below them the
 * frames, root first. `value` is the inclusive weight in nanoseconds.
 * `libtype` is the frame's runtime, or "inlined" for an inlined frame
 * (d3-flame-graph colors "inlined" aqua); root and thread nodes have none.
 * Extra fields d3-flame-graph ignores: "samples" (inclusive sample count,
 * so conversions keep counts), "file"/"line" when known, and "runtime" on
 * inlined frames (whose libtype cannot hold it).
 * Builds the tree in memory (nodes merged by parent and frame index), then
 * streams it depth first without recursion, so deep stacks cannot
 * overflow the caller's stack. Never in a signal handler. */
#include <stdlib.h>

#include "export/hash.h"
#include "export/out.h"
#include "export/writers.h"
#include "libprof.h"

#define PROF__D3_NONE UINT32_MAX

struct prof__d3_node {
  uint32_t frame; /* frame index; for thread nodes the thread index */
  uint32_t parent;
  uint32_t first_child, last_child, next;
  uint64_t value, count;
};

struct prof__d3_tree {
  struct prof__d3_node *nodes;
  size_t n, cap;
  struct prof__hash_table tab; /* (parent, frame) -> node, frames only */
};

static uint64_t prof__d3_key(uint32_t parent, uint32_t frame) {
  return prof__hash_u64(prof__hash_u64(PROF__HASH_SEED, parent), frame);
}

/* Makes room for one more node. 0 or -1 on ENOMEM. */
static int prof__d3_reserve(struct prof__d3_tree *t) {
  if (t->n >= PROF__D3_NONE - 1)
    return -1;
  if (t->n < t->cap)
    return 0;
  size_t ncap = t->cap ? t->cap * 2 : 256;
  struct prof__d3_node *nn = realloc(t->nodes, ncap * sizeof(*nn));
  if (nn == NULL)
    return -1;
  t->nodes = nn;
  t->cap = ncap;
  return 0;
}

/* Appends a child of `parent` (PROF__D3_NONE for the root) into reserved
 * room; cannot fail. */
static uint32_t prof__d3_append(struct prof__d3_tree *t, uint32_t parent,
                                uint32_t frame) {
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

static uint32_t prof__d3_add(struct prof__d3_tree *t, uint32_t parent,
                             uint32_t frame) {
  if (prof__d3_reserve(t) != 0)
    return PROF__D3_NONE;
  return prof__d3_append(t, parent, frame);
}

/* The child of parent for frame, created when absent; PROF__D3_NONE on
 * ENOMEM (with the tree unchanged). */
static uint32_t prof__d3_child(struct prof__d3_tree *t, uint32_t parent,
                               uint32_t frame) {
  uint64_t h = prof__d3_key(parent, frame);
  struct prof__hash_iter it;
  for (prof__hash_find(&t->tab, h, &it); it.index != UINT32_MAX;
       prof__hash_next(&it)) {
    const struct prof__d3_node *x = &t->nodes[it.index];
    if (x->parent == parent && x->frame == frame)
      return it.index;
  }
  if (prof__d3_reserve(t) != 0 ||
      prof__hash_insert(&t->tab, h, (uint32_t)t->n) != 0)
    return PROF__D3_NONE;
  return prof__d3_append(t, parent, frame);
}

static int prof__d3_build(struct prof__d3_tree *t,
                          const struct prof__model *m) {
  if (prof__d3_add(t, PROF__D3_NONE, PROF__D3_NONE) == PROF__D3_NONE)
    return PROF_ENOMEM;
  for (size_t ti = 0; ti < m->nthreads; ti++) {
    const struct prof__model_thread *th = &m->threads[ti];
    uint32_t tn = prof__d3_add(t, 0, (uint32_t)ti);
    if (tn == PROF__D3_NONE)
      return PROF_ENOMEM;
    for (size_t i = 0; i < th->nsamples; i++) {
      const struct prof__model_sample *s = &th->samples[i];
      const struct prof__model_stack *st = &m->stacks[s->stack];
      uint32_t cur = tn;
      t->nodes[0].value += s->weight_ns;
      t->nodes[0].count += s->count;
      t->nodes[tn].value += s->weight_ns;
      t->nodes[tn].count += s->count;
      for (uint32_t k = 0; k < st->nframes; k++) {
        cur = prof__d3_child(t, cur, st->frames[k]);
        if (cur == PROF__D3_NONE)
          return PROF_ENOMEM;
        t->nodes[cur].value += s->weight_ns;
        t->nodes[cur].count += s->count;
      }
    }
  }
  return 0;
}

static void prof__d3_frame_fields(struct prof__out *o,
                                  const struct prof__model_frame *f) {
  int inl = (f->flags & PROF__FRAME_INLINED) != 0;
  prof__out_str(o, ",\"libtype\":");
  prof__out_json_str(o, inl ? "inlined" : f->runtime);
  if (inl) {
    prof__out_str(o, ",\"runtime\":");
    prof__out_json_str(o, f->runtime);
  }
  if (f->file != NULL) {
    prof__out_str(o, ",\"file\":");
    prof__out_json_str(o, f->file);
  }
  if (f->line != 0) {
    prof__out_str(o, ",\"line\":");
    prof__out_u64(o, f->line);
  }
}

/* Writes a node's fields; leaves "children":[ open when it has any. */
static int prof__d3_open(struct prof__out *o, const struct prof__model *m,
                         const struct prof__d3_tree *t, uint32_t i,
                         unsigned depth) {
  const struct prof__d3_node *x = &t->nodes[i];
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
    prof__out_json_str(o, m->frames[x->frame].name);
  }
  prof__out_str(o, ",\"value\":");
  prof__out_u64(o, x->value);
  prof__out_str(o, ",\"samples\":");
  prof__out_u64(o, x->count);
  if (depth >= 2)
    prof__d3_frame_fields(o, &m->frames[x->frame]);
  prof__out_str(o, x->first_child != PROF__D3_NONE ? ",\"children\":[\n"
                                                   : "}");
  return 0;
}

static int prof__d3_emit(struct prof__out *o, const struct prof__model *m,
                         const struct prof__d3_tree *t) {
  uint32_t cur = 0;
  unsigned depth = 0;
  for (;;) {
    if (prof__d3_open(o, m, t, cur, depth) != 0)
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
  struct prof__out *o = malloc(sizeof(*o));
  int rc = o == NULL ? PROF_ENOMEM : prof__d3_build(&t, m);
  if (rc == 0) {
    prof__out_init(o, fp);
    rc = prof__d3_emit(o, m, &t);
    prof__out_ch(o, '\n');
    int frc = prof__out_flush(o);
    if (rc == 0)
      rc = frc;
  }
  free(o);
  free(t.nodes);
  prof__hash_free(&t.tab);
  return rc;
}
