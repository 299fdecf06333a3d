/* The fixed profile of the export tests (see fixture.h). Every number
 * here is echoed by the golden files, and the expected per-function
 * totals in test_export.c and tests/viewers/ are derived from it:
 *   self:  cmp 30 ms, square 70 ms, compute 20 ms, memcpy 40 ms
 *   total: main 100 ms, compute 90 ms, worker 50 ms, ...            */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>

enum { F_MAIN, F_VM_RUN, F_F, F_C_SORT, F_CMP, F_COMPUTE, F_SQUARE,
       F_TRUNC, F_WORKER, F_MEMCPY, F_MEMCPY2, F_N };

static const struct prof__model_frame fixture_frames[F_N] = {
    [F_MAIN] = {"main", "demo.c", 10, "native", 0, 0, 0x401010},
    [F_VM_RUN] = {"vm_run", "vm.c", 50, "native", 0, 0, 0x402020},
    [F_F] = {"f", "script.tiny", 3, "tiny", 0, -1, 0x10},
    [F_C_SORT] = {"c_sort", "sort.c", 20, "native", 0, 0, 0x403030},
    [F_CMP] = {"cmp", "script.tiny", 7, "tiny", 0, -1, 0x20},
    [F_COMPUTE] = {"compute", "demo.c", 30, "native", 0, 0, 0x404040},
    [F_SQUARE] = {"square", "demo.c", 25, "native", PROF__FRAME_INLINED, 0,
                  0x404040},
    [F_TRUNC] = {PROF__TRUNCATED_NAME, NULL, 0, "libprof",
                 PROF__FRAME_SYNTHETIC, -1, 0},
    [F_WORKER] = {"worker", "demo.c", 40, "native", 0, 0, 0x405050},
    [F_MEMCPY] = {"memcpy", NULL, 0, "native", 0, 1, 0x7f0000001000},
    /* memcpy again at another PC: one function in speedscope and d3,
     * two locations in pprof. */
    [F_MEMCPY2] = {"memcpy", NULL, 0, "native", 0, 1, 0x7f0000001040},
};

struct fixture_sample {
  int thread; /* 0 = main (100), 1 = worker (101) */
  uint32_t flags;
  uint64_t count, weight_ns;
  int frames[8]; /* root first, -1 ends */
};

#define MS 1000000ull
static const struct fixture_sample fixture_samples[] = {
    {0, 0, 3, 30 * MS, {F_MAIN, F_VM_RUN, F_F, F_C_SORT, F_CMP, -1}},
    {0, 0, 5, 50 * MS, {F_MAIN, F_COMPUTE, F_SQUARE, -1}},
    {0, 0, 2, 20 * MS, {F_MAIN, F_COMPUTE, -1}},
    {1, PROF__STACK_TRUNCATED, 1, 10 * MS,
     {F_TRUNC, F_COMPUTE, F_SQUARE, -1}},
    {1, 0, 3, 30 * MS, {F_WORKER, F_MEMCPY, -1}},
    {1, 0, 1, 10 * MS, {F_WORKER, F_MEMCPY2, -1}},
    {1, 0, 1, 10 * MS, {F_WORKER, F_COMPUTE, F_COMPUTE, F_SQUARE, -1}},
};

static int fixture_meta(struct prof__model *m) {
  static const struct prof__model_module mods[2] = {
      {"/usr/bin/demo", "0123456789abcdef", 0x400000, 0x500000, 0},
      {"/lib/x86_64-linux-gnu/libc.so.6", "fedcba9876543210",
       0x7f0000000000, 0x7f0000100000, 0x28000},
  };
  m->pid = 4242;
  m->start_unix_ns = 1700000000000000000ull;
  m->duration_ns = 2000000000ull;
  m->hz = 100;
  m->counters = (struct prof__model_counters){16, 1, 1, 0, 0};
  if (prof__model_set_str(m, &m->program, "/usr/bin/demo") ||
      prof__model_set_str(m, &m->mode, "cpu") ||
      prof__model_set_str(m, &m->weight_kind, "cpu"))
    return -1;
  for (int i = 0; i < 2; i++)
    if (prof__model_add_module(m, &mods[i]) < 0)
      return -1;
  return 0;
}

static int fixture_add(struct prof__model *m, const uint32_t *fidx,
                       const struct fixture_sample *s) {
  static const struct { int64_t tid; const char *name; } th[2] = {
      {100, "main"}, {101, "worker"}};
  uint32_t stack[8];
  uint32_t n = 0;
  while (n < 8 && s->frames[n] >= 0) {
    stack[n] = fidx[s->frames[n]];
    n++;
  }
  int64_t si = prof__model_intern_stack(m, stack, n, s->flags);
  int64_t ti = prof__model_thread(m, th[s->thread].tid, th[s->thread].name);
  if (si < 0 || ti < 0)
    return -1;
  return prof__model_add_sample(m, (size_t)ti, (uint32_t)si, s->count,
                                s->weight_ns);
}

struct prof__model *fixture_model(void) {
  struct prof__model *m = prof__model_new();
  uint32_t fidx[F_N];
  if (m == NULL || fixture_meta(m) != 0)
    goto fail;
  for (int i = 0; i < F_N; i++) {
    int64_t f = prof__model_intern_frame(m, &fixture_frames[i]);
    if (f < 0)
      goto fail;
    fidx[i] = (uint32_t)f;
  }
  for (size_t i = 0; i < sizeof(fixture_samples) / sizeof(*fixture_samples);
       i++)
    if (fixture_add(m, fidx, &fixture_samples[i]) != 0)
      goto fail;
  return m;
fail:
  prof__model_free(m);
  return NULL;
}

/* A deterministic generator (xorshift) so the big model is the same on
 * every run. */
static uint64_t fixture_rand(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

/* One stack of the big model into stack[]: a walk down a fixed random
 * call graph (4 callees per function, 8 roots), 8..23 frames deep, so
 * stacks share prefixes the way real ones do. */
static uint32_t fixture_walk(uint64_t *seed, const uint32_t *fidx,
                             size_t npcs, uint32_t *stack) {
  uint64_t r = fixture_rand(seed);
  uint32_t depth = 8 + (uint32_t)(r % 16);
  size_t fn = (r >> 8) % 8;
  for (uint32_t k = 0; k < depth; k++) {
    stack[k] = fidx[fn];
    /* callee j of fn: a fixed function of (fn, j) */
    uint64_t j = fixture_rand(seed) % 4;
    uint64_t h = (fn * 4 + j + 1) * 0x9e3779b97f4a7c15ull;
    fn = (h >> 20) % npcs;
  }
  return depth;
}

static int fixture_big_frames(struct prof__model *m, uint32_t *fidx,
                              size_t npcs) {
  char name[32];
  for (size_t i = 0; i < npcs; i++) {
    struct prof__model_frame f = {name, "big.c", (uint32_t)i, "native",
                                  i % 17 == 0 ? PROF__FRAME_INLINED : 0, -1,
                                  0x400000 + 16 * i};
    snprintf(name, sizeof(name), "fn_%zu", i);
    int64_t fi = prof__model_intern_frame(m, &f);
    if (fi < 0)
      return -1;
    fidx[i] = (uint32_t)fi;
  }
  return 0;
}

struct prof__model *fixture_big_model(size_t nsamples, size_t npcs,
                                      size_t nstacks) {
  struct prof__model *m = prof__model_new();
  uint64_t seed = 0x2545f4914f6cdd1dull;
  uint32_t stack[24];
  uint32_t *fidx = malloc(npcs * sizeof(*fidx));
  if (m == NULL || fidx == NULL || fixture_big_frames(m, fidx, npcs) != 0)
    goto fail;
  for (size_t i = 0; i < nsamples; i++) {
    uint64_t r = fixture_rand(&seed);
    /* With nstacks, sample k replays walk number r % nstacks (skewed to
     * the low ones, as hot paths are); without, every walk is new. */
    uint64_t walk_seed = seed;
    if (nstacks != 0) {
      uint64_t a = r % nstacks, b = (r >> 32) % nstacks;
      walk_seed = 0x9e3779b97f4a7c15ull * ((a < b ? a : b) + 1);
    }
    uint32_t depth = fixture_walk(&walk_seed, fidx, npcs, stack);
    if (nstacks == 0)
      seed = walk_seed;
    int64_t si = prof__model_intern_stack(m, stack, depth, 0);
    int64_t ti = prof__model_thread(m, 1000 + (int64_t)(r % 4), "big");
    if (si < 0 || ti < 0 ||
        prof__model_add_sample(m, (size_t)ti, (uint32_t)si, 1, 10000000))
      goto fail;
  }
  free(fidx);
  return m;
fail:
  free(fidx);
  prof__model_free(m);
  return NULL;
}
