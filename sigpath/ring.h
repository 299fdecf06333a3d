/* A bounded multi-producer, single-consumer queue of fixed-size slots.
 *
 * Producers are signal handlers on any thread; the consumer is the
 * collector. Each slot has a sequence number (after Vyukov's bounded
 * queue): a producer claims a slot with one CAS on the head, fills it in
 * place, then publishes it by storing its sequence with release order. No
 * locks, no allocation, so claim/publish are async-signal-safe. A producer
 * interrupted by another signal cannot deadlock the queue: the other
 * signal's handler claims a different slot. */
#ifndef PROF_SIGPATH_RING_H
#define PROF_SIGPATH_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"

struct prof__ring {
  _Atomic uint64_t head;  /* next position a producer claims          */
  uint64_t tail;          /* next position the consumer reads         */
  uint32_t mask;          /* slots - 1; slots is a power of two       */
  size_t slot_size;       /* bytes per slot                            */
  _Atomic uint64_t *seq;  /* per-slot sequence numbers                 */
  unsigned char *slots;   /* mmap'd slot memory                        */
  _Atomic uint64_t dropped; /* claims refused because the ring was full */
  _Atomic uint32_t wake;  /* futex word the consumer sleeps on         */
};

/* Maps memory for `slots` (power of two) slots of slot_size bytes.
 * Returns 0 or PROF_ENOMEM. Not AS-safe. */
PROF__HIDDEN int prof__ring_init(struct prof__ring *r, uint32_t slots,
                                 size_t slot_size);
PROF__HIDDEN void prof__ring_destroy(struct prof__ring *r);

/* Claims a free slot; NULL (and dropped++) when the ring is full.
 * *ticket must be passed to prof__ring_publish. PROF__SIGSAFE. */
PROF__HIDDEN void *prof__ring_claim(struct prof__ring *r, uint64_t *ticket);

/* Makes a claimed slot visible to the consumer. Every quarter-ring'th
 * ticket also wakes the consumer, unless a wake is still pending (the
 * wake rule, ring.c). PROF__SIGSAFE. */
PROF__HIDDEN void prof__ring_publish(struct prof__ring *r, uint64_t ticket);

/* Consumer: the oldest published slot, or NULL if none is ready yet. */
PROF__HIDDEN void *prof__ring_peek(struct prof__ring *r);
/* Consumer: frees the slot returned by the last prof__ring_peek. */
PROF__HIDDEN void prof__ring_release(struct prof__ring *r);
/* Consumer: sleeps until woken by a producer or timeout_ns passes. */
PROF__HIDDEN void prof__ring_wait(struct prof__ring *r, uint64_t timeout_ns);
/* Wakes the consumer (at stop, at a sync, by the wake rule).
 * PROF__SIGSAFE. */
PROF__HIDDEN void prof__ring_kick(struct prof__ring *r);

#endif
