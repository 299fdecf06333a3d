/* The one bounds check for untrusted offsets and lengths.
 *
 * Why one helper: snapshots carry whatever the interrupted registers and
 * stack words held, and module images and debug files whatever is on
 * disk; the obvious `addr + len > base + size` wraps for values near
 * 2^64 and lets a wild read through. Every read of a snapshot, a module
 * image or an ELF structure from a file checks with this instead.
 * Async-signal-safe and thread-safe: pure arithmetic. */
#ifndef PROF_UNWIND_RANGE_H
#define PROF_UNWIND_RANGE_H

#include <stdint.h>

/* 1 if [addr, addr + len) lies inside [base, base + size), as integers
 * (no sum is formed, so nothing can wrap); else 0. */
static inline int prof__range_in(uint64_t addr, uint64_t len, uint64_t base,
                                 uint64_t size) {
  return addr >= base && len <= size && addr - base <= size - len;
}

#endif
