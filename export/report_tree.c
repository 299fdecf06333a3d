/* The top-down call tree of prof_report_ex (PROF_REPORT_TREE): the
 * selected threads' stacks merged from the root by function (the report's
 * rows, so short names and --lines apply), children by total weight,
 * nodes under PROF__TREE_MIN_PCT of the total left out (and counted).
 * Each line: total, total%, self, then the function indented by depth.
 * Not thread-safe per report; never in a signal handler. */
#include <stdlib.h>
#include <string.h>

#include "export/report.h"
#include "export/writers.h"

#define PROF__TREE_MIN_PCT 0.5
#define PROF__TREE_NONE UINT32_MAX

struct prof__tnode {
  uint32_t func, parent, first, next; /* first child, next sibling */
  uint64_t total, total_n, self, self_n;
};

struct prof__tree {
  const struct prof__report *r;
  struct prof__tnode *n;
  size_t len, cap;
  struct prof__hash_table tab; /* (parent, func) -> node */
  size_t hidden;
};

/* The child of parent for func, made when missing; PROF__TREE_NONE on
 * ENOMEM. */
static uint32_t prof__tree_child(struct prof__tree *t, uint32_t parent,
                                 uint32_t func) {
  uint64_t h = prof__hash_u64(prof__hash_u64(PROF__HASH_SEED, parent), func);
  struct prof__hash_iter it;
  for (prof__hash_find(&t->tab, h, &it); it.index != UINT32_MAX;
       prof__hash_next(&it))
    if (t->n[it.index].func == func && t->n[it.index].parent == parent)
      return it.index;
  if (t->len == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 256;
    struct prof__tnode *nn = realloc(t->n, cap * sizeof(*nn));
    if (nn == NULL)
      return PROF__TREE_NONE;
    t->n = nn;
    t->cap = cap;
  }
  uint32_t i = (uint32_t)t->len++;
  t->n[i] = (struct prof__tnode){func, parent, PROF__TREE_NONE,
                                 t->n[parent].first, 0, 0, 0, 0};
  t->n[parent].first = i;
  return prof__hash_insert(&t->tab, h, i) == 0 ? i : PROF__TREE_NONE;
}

static int prof__tree_add(struct prof__tree *t,
                          const struct prof__model_sample *s) {
  const struct prof__model_stack *st = &t->r->m->stacks[s->stack];
  uint32_t cur = 0;
  t->n[0].total += s->weight_ns;
  t->n[0].total_n += s->count;
  for (uint32_t k = 0; k < st->nframes; k++) {
    cur = prof__tree_child(t, cur, t->r->frame_func[st->frames[k]]);
    if (cur == PROF__TREE_NONE)
      return PROF_ENOMEM;
    t->n[cur].total += s->weight_ns;
    t->n[cur].total_n += s->count;
  }
  t->n[cur].self += s->weight_ns;
  t->n[cur].self_n += s->count;
  return 0;
}

static int prof__tree_cmp(const void *a, const void *b, void *arg) {
  const struct prof__tnode *n = arg;
  const struct prof__tnode *x = &n[*(const uint32_t *)a];
  const struct prof__tnode *y = &n[*(const uint32_t *)b];
  return (x->total < y->total) - (x->total > y->total);
}

static void prof__tree_print(struct prof__tree *t, FILE *fp, uint32_t i,
                             unsigned depth) {
  const struct prof__report *r = t->r;
  uint32_t kids[64], nk = 0;
  uint32_t *all = kids;
  for (uint32_t c = t->n[i].first; c != PROF__TREE_NONE; c = t->n[c].next)
    nk++;
  if (nk > 64 && (all = malloc(nk * sizeof(*all))) == NULL)
    return;
  nk = 0;
  for (uint32_t c = t->n[i].first; c != PROF__TREE_NONE; c = t->n[c].next)
    all[nk++] = c;
  qsort_r(all, nk, sizeof(*all), prof__tree_cmp, t->n);
  for (uint32_t k = 0; k < nk; k++) {
    const struct prof__tnode *x = &t->n[all[k]];
    double pct = r->weight ? 100.0 * (double)x->total / (double)r->weight : 0;
    if (pct < PROF__TREE_MIN_PCT) {
      t->hidden++;
      continue;
    }
    const struct prof__rfunc *f = &r->funcs[x->func];
    int native = strcmp(f->runtime, PROF__RUNTIME_NATIVE) == 0;
    int p = prof__report_prec(r);
    fprintf(fp, "%12.*f %6.2f%% %12.*f  %*s%s%s%s%s\n", p,
            prof__report_value(r, x->total, x->total_n), pct, p,
            prof__report_value(r, x->self, x->self_n), (int)(2 * depth), "",
            f->name, native ? "" : " [", native ? "" : f->runtime,
            native ? "" : "]");
    prof__tree_print(t, fp, all[k], depth + 1);
  }
  if (all != kids)
    free(all);
}

int prof__report_tree(const struct prof__report *r, FILE *fp) {
  struct prof__tree t = {r, NULL, 0, 0, {0}, 0};
  int rc = 0;
  t.n = malloc(256 * sizeof(*t.n));
  if (t.n == NULL)
    return PROF_ENOMEM;
  t.cap = 256;
  t.len = 1;
  t.n[0] = (struct prof__tnode){UINT32_MAX, PROF__TREE_NONE,
                                PROF__TREE_NONE, PROF__TREE_NONE, 0, 0, 0, 0};
  for (size_t i = 0; rc == 0 && i < r->m->nthreads; i++) {
    const struct prof__model_thread *th = &r->m->threads[i];
    if (!prof__report_thread_matches(th, r->o->thread))
      continue;
    for (size_t k = 0; rc == 0 && k < th->nsamples; k++)
      rc = prof__tree_add(&t, &th->samples[k]);
  }
  if (rc == 0) {
    const char *u = r->counts && r->o->hz == 0 ? "" : " ms";
    fprintf(fp, "%9s%-3s %7s %9s%-3s  %s\n", "total", u, "total%", "self",
            u, "function (callees indented below their caller)");
    prof__tree_print(&t, fp, 0, 0);
    if (t.hidden)
      fprintf(fp, "(%zu call paths under %.1f%% of the total not shown)\n",
              t.hidden, PROF__TREE_MIN_PCT);
  }
  free(t.n);
  prof__hash_free(&t.tab);
  return rc;
}
