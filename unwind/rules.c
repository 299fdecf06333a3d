/* The unwind-rule table: open addressing with linear probing, keys never
 * deleted one by one (a sweep rebuilds the table), so lookups need no
 * tombstones. A key always has its top bit set, so 0 marks an empty slot. */
#include <stdlib.h>

#include "unwind/rules.h"

#define PROF__RULES_MIN 1024u
/* A profile touches a few thousand distinct PCs; past this many rules the
 * host is churning code (JIT-like dlopen loops), and starting over is
 * cheaper than growing without bound. */
#define PROF__RULES_MAX (1u << 20)

struct prof__rule_slot {
  uint64_t key;
  struct prof__rule rule;
};

struct prof__rules {
  struct prof__rule_slot *slot;
  uint32_t cap; /* power of two */
  uint32_t n;
};

static uint32_t prof__rules_hash(uint64_t key, uint32_t cap) {
  key ^= key >> 29;
  key *= 0xbf58476d1ce4e5b9ull;
  key ^= key >> 32;
  return (uint32_t)key & (cap - 1);
}

static int prof__rules_alloc(struct prof__rules *t, uint32_t cap) {
  struct prof__rule_slot *s = calloc(cap, sizeof(*s));
  if (!s)
    return -1;
  free(t->slot);
  t->slot = s;
  t->cap = cap;
  t->n = 0;
  return 0;
}

struct prof__rules *prof__rules_new(void) {
  struct prof__rules *t = calloc(1, sizeof(*t));
  if (t && prof__rules_alloc(t, PROF__RULES_MIN) != 0) {
    free(t);
    return NULL;
  }
  return t;
}

void prof__rules_free(struct prof__rules *t) {
  if (!t)
    return;
  free(t->slot);
  free(t);
}

const struct prof__rule *prof__rules_find(const struct prof__rules *t,
                                          uint64_t key) {
  for (uint32_t i = prof__rules_hash(key, t->cap);; i = (i + 1) & (t->cap - 1)) {
    if (t->slot[i].key == key)
      return &t->slot[i].rule;
    if (t->slot[i].key == 0)
      return NULL;
  }
}

static void prof__rules_insert(struct prof__rules *t, uint64_t key,
                               const struct prof__rule *r) {
  uint32_t i = prof__rules_hash(key, t->cap);
  while (t->slot[i].key != 0 && t->slot[i].key != key)
    i = (i + 1) & (t->cap - 1);
  if (t->slot[i].key == 0)
    t->n++;
  t->slot[i].key = key;
  t->slot[i].rule = *r;
}

/* Moves the rules that keep() accepts into a table of cap slots. */
static int prof__rules_rebuild(struct prof__rules *t, uint32_t cap,
                               const struct prof__modules *ms) {
  struct prof__rules old = *t;
  t->slot = NULL;
  if (prof__rules_alloc(t, cap) != 0) {
    *t = old;
    return -1;
  }
  for (uint32_t i = 0; i < old.cap; i++) {
    uint64_t key = old.slot[i].key;
    if (key == 0)
      continue;
    const struct prof__module *m =
        ms ? prof__modules_get(ms, prof__rule_key_module(key)) : NULL;
    if (!ms || (m && !m->unloaded))
      prof__rules_insert(t, key, &old.slot[i].rule);
  }
  free(old.slot);
  return 0;
}

int prof__rules_put(struct prof__rules *t, uint64_t key,
                    const struct prof__rule *r) {
  if (key == 0)
    return -1;
  if ((t->n + 1) * 2 > t->cap) {
    int err = t->cap >= PROF__RULES_MAX
                  ? prof__rules_alloc(t, PROF__RULES_MIN)
                  : prof__rules_rebuild(t, t->cap * 2, NULL);
    if (err != 0)
      return -1;
  }
  prof__rules_insert(t, key, r);
  return 0;
}

void prof__rules_sweep(struct prof__rules *t, const struct prof__modules *ms) {
  prof__rules_rebuild(t, t->cap, ms);
}

uint32_t prof__rules_count(const struct prof__rules *t) { return t->n; }
