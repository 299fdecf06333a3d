/* Open-addressing hash index (see hash.h). Linear probing: entries are
 * never removed, so no tombstones are needed. */
#include "base/hash.h"

#include <stdlib.h>
#include <string.h>

static uint32_t prof__hash_tag(uint64_t h) {
  return (uint32_t)(h ^ (h >> 32));
}

uint64_t prof__hash_bytes(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  uint64_t w;

  while (n >= 8) {
    memcpy(&w, b, 8);
    h = prof__hash_u64(h, w);
    b += 8;
    n -= 8;
  }
  w = 0;
  memcpy(&w, b, n);
  /* The length goes in so "ab" and "ab\0" stay apart. */
  return prof__hash_u64(h, w ^ ((uint64_t)n << 56));
}

uint64_t prof__hash_str(uint64_t h, const char *s) {
  if (s == NULL)
    return prof__hash_u64(h, 0x6e756c6cull); /* distinct from "" */
  return prof__hash_bytes(h, s, strlen(s));
}

/* Moves the iterator to the next slot whose tag matches, or ends it. */
static void prof__hash_scan(struct prof__hash_iter *it) {
  const struct prof__hash_table *t = it->t;
  size_t mask = t->cap - 1;

  for (;;) {
    const struct prof__hash_slot *s = &t->slots[it->pos];
    if (s->index1 == 0) {
      it->index = UINT32_MAX;
      return;
    }
    it->pos = (it->pos + 1) & mask;
    if (s->tag == it->tag) {
      it->index = s->index1 - 1;
      return;
    }
  }
}

void prof__hash_find(const struct prof__hash_table *t, uint64_t h,
                     struct prof__hash_iter *it) {
  it->t = t;
  it->tag = prof__hash_tag(h);
  it->index = UINT32_MAX;
  if (t->cap == 0)
    return;
  it->pos = it->tag & (t->cap - 1);
  prof__hash_scan(it);
}

void prof__hash_next(struct prof__hash_iter *it) {
  prof__hash_scan(it);
}

static void prof__hash_place(struct prof__hash_slot *slots, size_t cap,
                             struct prof__hash_slot s) {
  size_t pos = s.tag & (cap - 1);
  while (slots[pos].index1 != 0)
    pos = (pos + 1) & (cap - 1);
  slots[pos] = s;
}

static int prof__hash_grow(struct prof__hash_table *t) {
  size_t ncap = t->cap ? t->cap * 2 : 64;
  struct prof__hash_slot *n = calloc(ncap, sizeof(*n));
  if (n == NULL)
    return -1;
  for (size_t i = 0; i < t->cap; i++)
    if (t->slots[i].index1 != 0)
      prof__hash_place(n, ncap, t->slots[i]);
  free(t->slots);
  t->slots = n;
  t->cap = ncap;
  return 0;
}

int prof__hash_insert(struct prof__hash_table *t, uint64_t h,
                      uint32_t index) {
  if ((t->len + 1) * 2 > t->cap && prof__hash_grow(t) != 0)
    return -1;
  struct prof__hash_slot s = {index + 1, prof__hash_tag(h)};
  prof__hash_place(t->slots, t->cap, s);
  t->len++;
  return 0;
}

void prof__hash_free(struct prof__hash_table *t) {
  free(t->slots);
  t->slots = NULL;
  t->cap = 0;
  t->len = 0;
}
