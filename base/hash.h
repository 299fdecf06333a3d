/* The one open-addressing hash index (collector, model and writers): it maps a
 * 64-bit content hash to 32-bit entry indices of an array the caller owns,
 * and leaves content comparison to the caller (probe with
 * prof__hash_find/prof__hash_next, compare, insert when absent).
 *
 * Each slot keeps 32 bits of the hash, so growing never needs the content
 * and probing skips most non-matching entries without touching it.
 * Not thread-safe (one owner); never used in a signal handler. */
#ifndef PROF_BASE_HASH_H
#define PROF_BASE_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "base/common.h"
#define PROF__HASH_SEED 0x9e3779b97f4a7c15ull

struct prof__hash_slot {
  uint32_t index1; /* entry index + 1; 0 = empty */
  uint32_t tag;    /* 32 bits of the entry's hash */
};

struct prof__hash_table {
  struct prof__hash_slot *slots; /* owned; NULL until the first insert */
  size_t cap;                    /* power of two, or 0                 */
  size_t len;
};

/* A probe in progress: `index` is the current candidate entry, or
 * UINT32_MAX when no more entries can match. */
struct prof__hash_iter {
  const struct prof__hash_table *t;
  size_t pos;
  uint32_t tag;
  uint32_t index;
};

/* Mixes 64 bits into h (a strong, cheap finalizer-style step). */
static inline uint64_t prof__hash_u64(uint64_t h, uint64_t v) {
  h ^= v + PROF__HASH_SEED + (h << 6) + (h >> 2);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

/* Mixes a NUL-terminated string (NULL allowed, distinct from "") into h. */
PROF__HIDDEN uint64_t prof__hash_str(uint64_t h, const char *s);

/* Mixes n bytes into h. */
PROF__HIDDEN uint64_t prof__hash_bytes(uint64_t h, const void *p, size_t n);

/* Starts a probe for hash h; see struct prof__hash_iter. */
PROF__HIDDEN void prof__hash_find(const struct prof__hash_table *t,
                                  uint64_t h, struct prof__hash_iter *it);
PROF__HIDDEN void prof__hash_next(struct prof__hash_iter *it);

/* Records that entry `index` has hash h (the caller checked it is absent).
 * Grows the table at half load. Returns 0, or -1 on ENOMEM with the table
 * unchanged. */
PROF__HIDDEN int prof__hash_insert(struct prof__hash_table *t, uint64_t h,
                                   uint32_t index);

/* Releases the slots; the table is empty and reusable afterwards. */
PROF__HIDDEN void prof__hash_free(struct prof__hash_table *t);

#endif
