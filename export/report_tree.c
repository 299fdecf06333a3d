/* The top-down call tree of prof_report_ex (PROF_REPORT_TREE): the
 * selected threads' stacks merged from the root by function (the report's
 * rows, so short names and --lines apply; ctree.h), children by total
 * weight, nodes under PROF__TREE_MIN_PCT of the total left out (and
 * counted). Each line: total, total%, self, then the function indented by
 * depth. Not thread-safe per report; never in a signal handler. */
#include <stdlib.h>
#include <string.h>

#include "export/ctree.h"
#include "export/report.h"
#include "export/writers.h"

#define PROF__TREE_MIN_PCT 0.5

struct prof__rtree {
  const struct prof__report *r;
  struct prof__ctree t;
  size_t hidden;
};

static int prof__tree_cmp(const void *a, const void *b, void *arg) {
  const struct prof__cnode *n = arg;
  const struct prof__cnode *x = &n[*(const uint32_t *)a];
  const struct prof__cnode *y = &n[*(const uint32_t *)b];
  if (x->value != y->value)
    return x->value < y->value ? 1 : -1;
  /* ties in first-seen order (node ids grow as nodes are made) */
  uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
  return (i > j) - (i < j);
}

static void prof__tree_line(const struct prof__rtree *rt, FILE *fp,
                            const struct prof__cnode *x, double pct,
                            unsigned depth) {
  const struct prof__report *r = rt->r;
  const struct prof__rfunc *f = &r->funcs[x->key];
  int native = strcmp(f->runtime, PROF__RUNTIME_NATIVE) == 0;
  int p = prof__report_prec(r);
  fprintf(fp, "%12.*f %6.2f%% %12.*f  %*s%s%s%s%s\n", p,
          prof__report_value(r, x->value, x->count), pct, p,
          prof__report_value(r, x->self, x->self_n), (int)(2 * depth), "",
          f->name, native ? "" : " [", native ? "" : f->runtime,
          native ? "" : "]");
}

/* Prints node i's children, biggest first, and below each its own. */
static void prof__tree_print(struct prof__rtree *rt, FILE *fp, uint32_t i,
                             unsigned depth) {
  const struct prof__cnode *n = rt->t.n;
  uint32_t nk = 0;
  for (uint32_t c = n[i].first; c != PROF__CTREE_NONE; c = n[c].next)
    nk++;
  uint32_t *kids = malloc((nk + 1) * sizeof(*kids));
  if (kids == NULL)
    return;
  nk = 0;
  for (uint32_t c = n[i].first; c != PROF__CTREE_NONE; c = n[c].next)
    kids[nk++] = c;
  qsort_r(kids, nk, sizeof(*kids), prof__tree_cmp, rt->t.n);
  for (uint32_t k = 0; k < nk; k++) {
    const struct prof__cnode *x = &n[kids[k]];
    double pct = rt->r->weight
                     ? 100.0 * (double)x->value / (double)rt->r->weight
                     : 0;
    if (pct < PROF__TREE_MIN_PCT) {
      rt->hidden++;
      continue;
    }
    prof__tree_line(rt, fp, x, pct, depth);
    prof__tree_print(rt, fp, kids[k], depth + 1);
  }
  free(kids);
}

int prof__report_tree(const struct prof__report *r, FILE *fp) {
  struct prof__rtree rt = {r, {0}, 0};
  int rc = prof__ctree_init(&rt.t);
  for (size_t i = 0; rc == 0 && i < r->m->nthreads; i++) {
    const struct prof__model_thread *th = &r->m->threads[i];
    if (!prof__report_thread_matches(th, r->o->thread))
      continue;
    for (size_t k = 0; rc == 0 && k < th->nsamples; k++)
      rc = prof__ctree_add(&rt.t, 0, &r->m->stacks[th->samples[k].stack],
                           r->frame_func, th->samples[k].weight_ns,
                           th->samples[k].count);
  }
  if (rc == 0) {
    const char *u = r->counts && r->o->hz == 0 ? "" : " ms";
    fprintf(fp, "%9s%-3s %7s %9s%-3s  %s\n", "total", u, "total%", "self",
            u, "function (callees indented below their caller)");
    prof__tree_print(&rt, fp, 0, 0);
    if (rt.hidden)
      fprintf(fp, "(%zu call paths under %.1f%% of the total not shown)\n",
              rt.hidden, PROF__TREE_MIN_PCT);
  }
  prof__ctree_free(&rt.t);
  return rc;
}
