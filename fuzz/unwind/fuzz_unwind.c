/* Fuzz target: the snapshot unwinders on random registers and stack
 * bytes, over this process's real modules. Every path must end without a
 * fault, within the frame limit, and (where libprof walks itself) moving
 * strictly outward:
 *   - the DWARF fast path (per-PC rules probed from libunwind),
 *   - libunwind's remote walk alone (the slow path),
 *   - the frame-pointer walk,
 *   - the snapshot reader at every address the input names.
 *
 * Input: byte 0 chooses the stack address (see below), then 17 register
 * words, then up to 16 KiB of stack. Random words almost never point at
 * code, so words are decoded: a word whose top byte is 0xc0 becomes an
 * address inside the executable code of module (byte 6) at offset (low
 * 48 bits), one with 0xc1 an address in or near the snapshot (low 32
 * bits, signed, from its start), every other word is kept as is. The
 * fuzzer can so build plausible and implausible chains alike. */
#include <stdlib.h>
#include <string.h>

#include "unwind/unwind.h"

#define FUZZ_STACK_MAX 16384
#define FUZZ_FRAMES 128

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct prof__modules *ms;
static struct prof__unwinder *fast, *slow;
static const struct prof__module *code[64]; /* modules with code */
static int ncode;
static struct prof__sample *smp;

static void setup(void) {
  ms = prof__modules_new();
  if (!ms || prof__unwinder_new(&fast, PROF__UNWIND_DWARF, ms) != 0 ||
      prof__unwinder_new(&slow, PROF__UNWIND_DWARF, ms) != 0)
    abort();
  prof__unwinder_set_fast(slow, 0);
  for (uint32_t i = 0; i < prof__modules_count(ms) && ncode < 64; i++) {
    const struct prof__module *m = prof__modules_get(ms, i);
    if (m && m->image && m->text_lo < m->text_hi)
      code[ncode++] = m;
  }
  smp = calloc(1, sizeof(*smp) + FUZZ_STACK_MAX);
  if (!smp || ncode == 0)
    abort();
}

static uint64_t decode(uint64_t w) {
  unsigned tag = (unsigned)(w >> 56);
  if (tag == 0xc0) {
    const struct prof__module *m = code[((w >> 48) & 0xff) % ncode];
    return m->text_lo + (w & 0xffffffffffffull) % (m->text_hi - m->text_lo);
  }
  if (tag == 0xc1)
    return smp->stack_addr + (uint64_t)(int64_t)(int32_t)(uint32_t)w;
  return w;
}

/* Where the snapshot lies: mostly a plausible stack, sometimes right
 * under 2^64 or at 0, where sums wrap. */
static uint64_t stack_base(uint8_t sel) {
  switch (sel & 3) {
  case 0:
    return 0x7ffd00000000ull + (uint64_t)(sel >> 2) * 8;
  case 1:
    return UINT64_MAX - FUZZ_STACK_MAX + 1;
  case 2:
    return 0;
  default:
    return 0x7ffd00000000ull - (uint64_t)(sel >> 2);
  }
}

static size_t load(const uint8_t *data, size_t size) {
  memset(smp, 0, sizeof(*smp));
  smp->stack_addr = stack_base(size ? data[0] : 0);
  size_t off = size ? 1 : 0, nregs = PROF__ARCH_NREGS * 8;
  uint8_t regs[PROF__ARCH_NREGS * 8] = {0};
  size_t take = size - off < nregs ? size - off : nregs;
  memcpy(regs, data + off, take);
  off += take;
  size_t len = size - off < FUZZ_STACK_MAX ? size - off : FUZZ_STACK_MAX;
  memcpy(smp->stack, data + off, len);
  smp->stack_len = (uint32_t)len;
  for (int i = 0; i < PROF__ARCH_NREGS; i++) {
    uint64_t w;
    memcpy(&w, regs + 8 * i, 8);
    smp->regs.r[i] = decode(w);
  }
  for (size_t i = 0; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, smp->stack + i, 8);
    w = decode(w);
    memcpy(smp->stack + i, &w, 8);
  }
  return len;
}

/* Frame count within the limit; with `outward`, every frame's sp above
 * the previous one (what rules out loops in libprof's own walks). */
static void check(int n, const uint64_t *sps, int outward) {
  if (n < 1 || n > FUZZ_FRAMES)
    abort();
  for (int i = 1; outward && i < n; i++)
    if (sps[i] <= sps[i - 1])
      abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ms)
    setup();
  size_t len = load(data, size);
  uint64_t pcs[FUZZ_FRAMES], sps[FUZZ_FRAMES], v;
  enum prof__unwind_status st;
  struct prof__unwind_stats before, after;
  prof__unwinder_stats(fast, &before);
  int n = prof__unwind(fast, smp, pcs, sps, FUZZ_FRAMES, &st);
  prof__unwinder_stats(fast, &after);
  check(n, sps, after.fast > before.fast); /* the rules walked it */
  check(prof__unwind(slow, smp, pcs, sps, FUZZ_FRAMES, &st), sps, 0);
  check(prof__unwind_fp(smp, pcs, sps, FUZZ_FRAMES, &st), sps, 1);
  /* the reader: in range exactly when the 8 bytes lie in the snapshot */
  for (int i = 0; i < PROF__ARCH_NREGS; i++) {
    uint64_t a = smp->regs.r[i];
    int in = a >= smp->stack_addr && len >= 8 && a - smp->stack_addr <= len - 8;
    if ((prof__snapshot_read(smp, a, &v) == 0) != in)
      abort();
  }
  return 0;
}
