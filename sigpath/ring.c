/* See ring.h for the protocol. */
#include "sigpath/ring.h"

#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "libprof.h"

int prof__ring_init(struct prof__ring *r, uint32_t slots, size_t slot_size) {
  if (slots == 0 || (slots & (slots - 1)) != 0)
    return PROF_EINVAL;
  slot_size = (slot_size + 63) & ~(size_t)63; /* keep slots cache-aligned */
  size_t bytes = (size_t)slots * slot_size + slots * sizeof(uint64_t);
  /* mmap rather than malloc: never shared with the host's allocator.
   * Populated now, so that the first write to each slot does not take a
   * page fault inside the signal handler. */
  void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (mem == MAP_FAILED)
    return PROF_ENOMEM;
  r->slots = mem;
  r->seq = (_Atomic uint64_t *)(r->slots + (size_t)slots * slot_size);
  r->mask = slots - 1;
  r->slot_size = slot_size;
  r->tail = 0;
  atomic_init(&r->head, 0);
  atomic_init(&r->dropped, 0);
  atomic_init(&r->wake, 0);
  for (uint32_t i = 0; i < slots; i++)
    atomic_init(&r->seq[i], i);
  return 0;
}

void prof__ring_destroy(struct prof__ring *r) {
  if (!r->slots)
    return;
  size_t slots = (size_t)r->mask + 1;
  munmap(r->slots, slots * r->slot_size + slots * sizeof(uint64_t));
  r->slots = NULL;
}

PROF__SIGSAFE void *prof__ring_claim(struct prof__ring *r, uint64_t *ticket) {
  uint64_t pos = atomic_load_explicit(&r->head, memory_order_relaxed);
  for (;;) {
    uint64_t seq = atomic_load_explicit(&r->seq[pos & r->mask],
                                        memory_order_acquire);
    int64_t diff = (int64_t)(seq - pos);
    if (diff == 0) {
      if (atomic_compare_exchange_weak_explicit(&r->head, &pos, pos + 1,
                                                memory_order_relaxed,
                                                memory_order_relaxed))
        break;
    } else if (diff < 0) {
      atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
      return NULL;
    } else {
      pos = atomic_load_explicit(&r->head, memory_order_relaxed);
    }
  }
  *ticket = pos;
  return r->slots + (size_t)(pos & r->mask) * r->slot_size;
}

PROF__SIGSAFE void prof__ring_kick(struct prof__ring *r) {
  atomic_store_explicit(&r->wake, 1, memory_order_release);
  syscall(SYS_futex, &r->wake, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

PROF__SIGSAFE void prof__ring_publish(struct prof__ring *r, uint64_t ticket) {
  atomic_store_explicit(&r->seq[ticket & r->mask], ticket + 1,
                        memory_order_release);
  /* The wake rule: the producer of every quarter-ring'th ticket (every
   * 64th claim with 256 slots) wakes the collector unless a wake is still
   * pending, so a burst is drained before it fills the ring, without a
   * system call on every sample; otherwise the collector wakes on its own
   * timeout (collector.c). docs/design.md and ring.h say the same. */
  uint32_t quarter = (r->mask + 1) / 4;
  if (quarter && (ticket & r->mask) % quarter == quarter - 1 &&
      atomic_load_explicit(&r->wake, memory_order_relaxed) == 0)
    prof__ring_kick(r);
}

void *prof__ring_peek(struct prof__ring *r) {
  uint64_t pos = r->tail;
  uint64_t seq = atomic_load_explicit(&r->seq[pos & r->mask],
                                      memory_order_acquire);
  if (seq != pos + 1)
    return NULL;
  return r->slots + (size_t)(pos & r->mask) * r->slot_size;
}

void prof__ring_release(struct prof__ring *r) {
  uint64_t pos = r->tail;
  atomic_store_explicit(&r->seq[pos & r->mask], pos + r->mask + 1,
                        memory_order_release);
  r->tail = pos + 1;
}

void prof__ring_wait(struct prof__ring *r, uint64_t timeout_ns) {
  struct timespec ts = {(time_t)(timeout_ns / 1000000000u),
                        (long)(timeout_ns % 1000000000u)};
  syscall(SYS_futex, &r->wake, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
  atomic_store_explicit(&r->wake, 0, memory_order_relaxed);
}
