/* The merged call tree (see ctree.h). */
#include "export/ctree.h"

#include <stdlib.h>

#include "base/grow.h"
#include "libprof.h"

int prof__ctree_init(struct prof__ctree *t) {
  *t = (struct prof__ctree){0};
  return prof__ctree_child(t, PROF__CTREE_NONE, PROF__CTREE_NONE) == 0
             ? 0
             : PROF_ENOMEM;
}

void prof__ctree_free(struct prof__ctree *t) {
  free(t->n);
  prof__hash_free(&t->tab);
  *t = (struct prof__ctree){0};
}

uint32_t prof__ctree_child(struct prof__ctree *t, uint32_t parent,
                           uint32_t key) {
  uint64_t h = prof__hash_u64(prof__hash_u64(PROF__HASH_SEED, parent), key);
  struct prof__hash_iter it;
  for (prof__hash_find(&t->tab, h, &it); it.index != UINT32_MAX;
       prof__hash_next(&it))
    if (t->n[it.index].parent == parent && t->n[it.index].key == key)
      return it.index;
  if (t->len >= PROF__CTREE_NONE - 1 ||
      prof__grow((void **)&t->n, &t->cap, t->len + 1, sizeof(*t->n)) != 0)
    return PROF__CTREE_NONE;
  uint32_t i = (uint32_t)t->len++;
  t->n[i] = (struct prof__cnode){key, parent, PROF__CTREE_NONE,
                                 PROF__CTREE_NONE, PROF__CTREE_NONE,
                                 0, 0, 0, 0};
  if (parent != PROF__CTREE_NONE) {
    struct prof__cnode *p = &t->n[parent];
    if (p->last == PROF__CTREE_NONE)
      p->first = i;
    else
      t->n[p->last].next = i;
    p->last = i;
  }
  return prof__hash_insert(&t->tab, h, i) == 0 ? i : PROF__CTREE_NONE;
}

int prof__ctree_add(struct prof__ctree *t, uint32_t from,
                    const struct prof__model_stack *st, const uint32_t *key_of,
                    uint64_t weight, uint64_t count) {
  uint32_t cur = from;
  t->n[cur].value += weight;
  t->n[cur].count += count;
  for (uint32_t k = 0; k < st->nframes; k++) {
    cur = prof__ctree_child(t, cur, key_of[st->frames[k]]);
    if (cur == PROF__CTREE_NONE)
      return PROF_ENOMEM;
    t->n[cur].value += weight;
    t->n[cur].count += count;
  }
  t->n[cur].self += weight;
  t->n[cur].self_n += count;
  return 0;
}
