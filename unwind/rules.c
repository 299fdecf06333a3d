/* The unwind-rule table: the rules in an array, indexed by the one hash
 * index of base/. Keys are never deleted one by one (a sweep compacts the
 * array and rebuilds the index), so lookups need no tombstones. A key
 * always has its top bit set, so 0 is never a key. */
#include <stdlib.h>

#include "base/grow.h"
#include "base/hash.h"
#include "unwind/rules.h"

/* A profile touches a few thousand distinct PCs; past this many rules the
 * host is churning code (JIT-like dlopen loops), and starting over is
 * cheaper than growing without bound. */
#define PROF__RULES_MAX (1u << 20)

struct prof__rule_entry {
  uint64_t key;
  struct prof__rule rule;
};

struct prof__rules {
  struct prof__rule_entry *v;
  size_t n, cap;
  struct prof__hash_table index; /* key -> v[] */
};

struct prof__rules *prof__rules_new(void) {
  return calloc(1, sizeof(struct prof__rules));
}

void prof__rules_free(struct prof__rules *t) {
  if (!t)
    return;
  free(t->v);
  prof__hash_free(&t->index);
  free(t);
}

static struct prof__rule_entry *prof__rules_entry(const struct prof__rules *t,
                                                  uint64_t key) {
  struct prof__hash_iter it;
  for (prof__hash_find(&t->index, prof__hash_u64(0, key), &it);
       it.index != UINT32_MAX; prof__hash_next(&it))
    if (t->v[it.index].key == key)
      return &t->v[it.index];
  return NULL;
}

const struct prof__rule *prof__rules_find(const struct prof__rules *t,
                                          uint64_t key) {
  const struct prof__rule_entry *e = prof__rules_entry(t, key);
  return e ? &e->rule : NULL;
}

/* Indexes v[0..n) anew. */
static int prof__rules_reindex(struct prof__rules *t) {
  prof__hash_free(&t->index);
  for (size_t i = 0; i < t->n; i++)
    if (prof__hash_insert(&t->index, prof__hash_u64(0, t->v[i].key),
                          (uint32_t)i) != 0)
      return -1;
  return 0;
}

int prof__rules_put(struct prof__rules *t, uint64_t key,
                    const struct prof__rule *r) {
  if (key == 0)
    return -1;
  struct prof__rule_entry *e = prof__rules_entry(t, key);
  if (e) {
    e->rule = *r;
    return 0;
  }
  if (t->n >= PROF__RULES_MAX) { /* start over (see PROF__RULES_MAX) */
    t->n = 0;
    prof__hash_free(&t->index);
  }
  if (prof__grow((void **)&t->v, &t->cap, t->n + 1, sizeof(*t->v)) != 0 ||
      prof__hash_insert(&t->index, prof__hash_u64(0, key),
                        (uint32_t)t->n) != 0)
    return -1;
  t->v[t->n++] = (struct prof__rule_entry){key, *r};
  return 0;
}

void prof__rules_sweep(struct prof__rules *t, const struct prof__modules *ms) {
  size_t kept = 0;
  for (size_t i = 0; i < t->n; i++) {
    const struct prof__module *m =
        prof__modules_get(ms, prof__rule_key_module(t->v[i].key));
    if (m && !m->unloaded)
      t->v[kept++] = t->v[i];
  }
  t->n = kept;
  if (prof__rules_reindex(t) != 0) { /* out of memory: forget them all */
    t->n = 0;
    prof__hash_free(&t->index);
  }
}

uint32_t prof__rules_count(const struct prof__rules *t) {
  return (uint32_t)t->n;
}
