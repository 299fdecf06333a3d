/* Bounds of every read from untrusted memory (unwind/range.h): snapshot
 * words, module images, ELF headers and sample records, at addresses and
 * offsets near 2^64 where the sum `addr + len` wraps. Each case is one the
 * old checks let through to a wild read (a crash), so a regression shows
 * as a failed assertion or as this test dying on a signal. */
#include "cu_suite.h"
#include <elf.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/stack.h"
#include "unwind/range.h"
#include "unwind/unwind.h"

#define TOP UINT64_MAX /* 2^64 - 1 */

static struct prof__sample *sample_new(uint64_t addr, uint32_t len) {
  struct prof__sample *s = calloc(1, sizeof(*s) + len);
  CU_ASSERT_FATAL(s != NULL);
  s->stack_addr = addr;
  s->stack_len = len;
  for (uint32_t i = 0; i < len; i++)
    s->stack[i] = (unsigned char)i;
  return s;
}

static void test_range_in(void) {
  CU_ASSERT_EQUAL(prof__range_in(0x1000, 8, 0x1000, 64), 1);
  CU_ASSERT_EQUAL(prof__range_in(0x1000 + 56, 8, 0x1000, 64), 1);
  CU_ASSERT_EQUAL(prof__range_in(0x1000 + 57, 8, 0x1000, 64), 0);
  CU_ASSERT_EQUAL(prof__range_in(0xfff, 8, 0x1000, 64), 0);
  CU_ASSERT_EQUAL(prof__range_in(TOP - 3, 8, 0x1000, 64), 0);
  CU_ASSERT_EQUAL(prof__range_in(0x1000, TOP, 0x1000, 64), 0);
  CU_ASSERT_EQUAL(prof__range_in(TOP - 7, 8, TOP - 63, 64), 1);
  CU_ASSERT_EQUAL(prof__range_in(TOP - 6, 8, TOP - 63, 64), 0);
  CU_ASSERT_EQUAL(prof__range_in(5, 0, 0, 4), 0);
}

/* The reader the unwinders share: every word it returns is one the
 * snapshot holds; anything else is refused, however large addr is. */
static void test_snapshot_read(void) {
  struct prof__sample *s = sample_new(0x7f0000001000ull, 64);
  uint64_t v = 0;
  CU_ASSERT_EQUAL(prof__snapshot_read(s, 0x7f0000001000ull + 56, &v), 0);
  CU_ASSERT_EQUAL(v, 0x3f3e3d3c3b3a3938ull);
  CU_ASSERT_EQUAL(prof__snapshot_read(s, 0x7f0000001000ull + 57, &v), -1);
  for (uint64_t a = TOP - 9; a != 0; a++) /* every addr + 8 that wraps */
    CU_ASSERT_EQUAL(prof__snapshot_read(s, a, &v), -1);
  free(s);
  s = sample_new(TOP - 63, 64); /* a snapshot ending at 2^64 */
  CU_ASSERT_EQUAL(prof__snapshot_read(s, TOP - 7, &v), 0);
  CU_ASSERT_EQUAL(v, 0x3f3e3d3c3b3a3938ull);
  CU_ASSERT_EQUAL(prof__snapshot_read(s, TOP - 6, &v), -1);
  free(s);
}

/* A frame pointer near 2^64 must end the frame-pointer walk, FAILED. */
static void test_fp_wrap(void) {
  struct prof__sample *s = sample_new(0x7f0000001000ull, 256);
  uint64_t pcs[8], sps[8];
  enum prof__unwind_status st;
  s->regs.r[PROF__ARCH_REG_PC] = 0x401000;
  s->regs.r[PROF__ARCH_REG_SP] = 0x7f0000001000ull;
  s->regs.r[PROF__ARCH_REG_FP] = TOP - 7;
  CU_ASSERT_EQUAL(prof__unwind_fp(s, pcs, sps, 8, &st), 1);
  CU_ASSERT_EQUAL(st, PROF__UNWIND_FAILED);
  s->regs.r[PROF__ARCH_REG_FP] = TOP - 15; /* ra slot at TOP - 7 */
  CU_ASSERT_EQUAL(prof__unwind_fp(s, pcs, sps, 8, &st), 1);
  CU_ASSERT_EQUAL(st, PROF__UNWIND_FAILED);
  free(s);
}

/* The module image reader at virtual addresses whose end wraps. */
static void test_module_read_wrap(void) {
  static unsigned char img[4096];
  struct prof__module m;
  memset(&m, 0, sizeof(m));
  m.image = img;
  m.image_len = sizeof(img);
  m.nseg = 1;
  m.seg[0] = (struct prof__module_seg){0, 4096, 0, 4096, 0};
  uint64_t v;
  img[8] = 0x42;
  CU_ASSERT_EQUAL(prof__module_read(&m, 8, &v, 8), 0);
  CU_ASSERT_EQUAL(v, 0x42);
  CU_ASSERT_EQUAL(prof__module_read(&m, 4089, &v, 8), -1);
  CU_ASSERT_EQUAL(prof__module_read(&m, TOP - 3, &v, 8), -1);
  /* a file offset that wraps back into the image is still inside it */
  m.seg[0].offset = TOP - 15;
  CU_ASSERT_EQUAL(prof__module_read(&m, 24, &v, 8), 0);
  CU_ASSERT_EQUAL(prof__module_read(&m, 12, &v, 8), -1);
}

/* An ELF header whose program headers lie beyond 2^64. */
static void test_image_phdr_wrap(void) {
  static unsigned char img[4096] __attribute__((aligned(8)));
  ElfW(Ehdr) *eh = (void *)img;
  unsigned char id[4] = {1, 2, 3, 4};
  memcpy(img, ELFMAG, SELFMAG);
  eh->e_phentsize = sizeof(ElfW(Phdr));
  eh->e_phnum = 4;
  eh->e_phoff = TOP - 2 * sizeof(ElfW(Phdr)) + 1;
  CU_ASSERT_EQUAL(prof__image_has_build_id(img, sizeof(img), id, 4), 0);
  eh->e_phoff = sizeof(img) - sizeof(ElfW(Phdr));
  CU_ASSERT_EQUAL(prof__image_has_build_id(img, sizeof(img), id, 4), 0);
  CU_ASSERT_EQUAL(prof__image_has_build_id(img, sizeof(img), NULL, 0), 1);
}

/* Sample records that point outside the sample: merged without them,
 * marked cut. */
static void test_merge_records(void) {
  struct prof__sample *s = sample_new(0x1000, 0);
  uint64_t pcs[2] = {0x401000, 0x401100}, sps[2] = {0x1000, 0x1100};
  struct prof__rawframe out[8];
  int cut = 0;
  s->nslice = 1;
  s->nmpcs = 2;
  s->slice[0] = (struct prof__crossing){PROF__CROSS_NATIVE, 0, 0x2000, 0};
  s->tb_off[0] = 1;
  s->tb_len[0] = 60000;
  CU_ASSERT_EQUAL(prof__merge(s, pcs, sps, 2, 0, out, 8, &cut), 2);
  CU_ASSERT_EQUAL(cut, 1);
  s->tb_len[0] = 1;
  s->mpcs[1] = 0x77;
  CU_ASSERT_EQUAL(prof__merge(s, pcs, sps, 2, 0, out, 8, &cut), 3);
  CU_ASSERT_EQUAL(cut, 0);
  CU_ASSERT_EQUAL(out[2].pc, 0x77);
  s->nslice = 60000;
  prof__merge(s, pcs, sps, 2, 0, out, 8, &cut);
  CU_ASSERT_EQUAL(cut, 1);
  free(s);
}

int main(void) {
  static const struct cu_test tests[] = {
      {"range_in", test_range_in},
      {"snapshot_read near 2^64", test_snapshot_read},
      {"fp walk near 2^64", test_fp_wrap},
      {"module_read near 2^64", test_module_read_wrap},
      {"program headers near 2^64", test_image_phdr_wrap},
      {"merge: records outside the sample", test_merge_records},
  };
  return cu_run_suite("bounds", tests, CU_COUNT(tests));
}
