/* The export goal of issue 5: a 1,000,000-sample profile over 20,000
 * distinct PCs is built (each PC symbolized once, with DWARF) and written
 * in under 2 s. The PCs are spread over this process's libc, whose DWARF
 * comes from libc6-dbg; the stacks (depth 16, up to 200,000 distinct) are
 * drawn from them with a skewed distribution, as a real profile's are. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/symbolize_bench.h"
#include "export/export.h"
#include "profiler/aggregate.h"
#include "profiler/build.h"

#define BSYM_DEPTH 16
#define BSYM_STACKS 200000

static uint64_t bsym_rand(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

/* npcs absolute PCs spread over m's executable segments. */
static uint64_t *bsym_pcs(const struct prof__module *m, size_t npcs) {
  uint64_t total = 0, *pcs = calloc(npcs, sizeof(*pcs));
  for (int i = 0; i < m->nseg; i++)
    total += (m->seg[i].flags & PF_X) ? m->seg[i].memsz : 0;
  for (size_t k = 0; pcs && k < npcs; k++) {
    uint64_t off = total * k / npcs + 5, base = 0;
    for (int i = 0; i < m->nseg; i++) {
      if (!(m->seg[i].flags & PF_X))
        continue;
      if (off < base + m->seg[i].memsz) {
        pcs[k] = m->bias + m->seg[i].vaddr + (off - base);
        break;
      }
      base += m->seg[i].memsz;
    }
  }
  return pcs;
}

/* Stack s: level L takes a PC from the L-th slice of the pool. The
 * slices widen with depth (4, 8, ... 512, then equal shares of the rest),
 * so stacks share their outer frames and every PC is used. */
static void bsym_stack(uint32_t mod, const uint64_t *pcs, size_t npcs,
                       uint64_t s, struct prof__rawframe *out) {
  uint64_t h = s * 0x9e3779b97f4a7c15ull + 1;
  size_t first = 0, narrow = 0;
  for (int l = 0; l < BSYM_DEPTH / 2; l++)
    narrow += (size_t)4 << l;
  for (int l = 0; l < BSYM_DEPTH; l++) {
    size_t width = l < BSYM_DEPTH / 2 ? (size_t)4 << l
                                      : (npcs - narrow) / (BSYM_DEPTH / 2);
    size_t pick = (size_t)(bsym_rand(&h) % width);
    /* innermost first: level 0 (the root) goes last */
    out[BSYM_DEPTH - 1 - l] = (struct prof__rawframe){
        pcs[first + pick], mod,
        l == BSYM_DEPTH - 1 ? PROF__RAW_LEAF : PROF__RAW_CALL};
    first += width;
  }
}

static int bsym_fill(struct prof__agg *a, uint32_t mod, const uint64_t *pcs,
                     size_t npcs, size_t nsamples) {
  struct prof__rawframe fr[BSYM_DEPTH];
  uint64_t seed = 88172645463325252ull;
  prof__agg_thread_seen(a, (int32_t)getpid());
  for (size_t i = 0; i < nsamples; i++) {
    /* skewed: half the samples on 1/64 of the stacks */
    uint64_t r = bsym_rand(&seed);
    uint64_t s = (r & 1) ? (r >> 1) % (BSYM_STACKS / 64)
                         : (r >> 1) % BSYM_STACKS;
    bsym_stack(mod, pcs, npcs, s, fr);
    if (prof__agg_add(a, (int32_t)getpid(), fr, BSYM_DEPTH, 4000000) != 0)
      return -1;
  }
  return 0;
}

static int bsym_u64_cmp(const void *p, const void *q) {
  uint64_t x = *(const uint64_t *)p, y = *(const uint64_t *)q;
  return (x > y) - (x < y);
}

static size_t bsym_distinct_pcs(const struct prof__agg *a) {
  size_t n = 0;
  uint64_t *v = malloc((a->narena + 1) * sizeof(*v));
  if (!v)
    return 0;
  for (size_t i = 0; i < a->narena; i++)
    v[i] = a->arena[i].pc;
  qsort(v, a->narena, sizeof(*v), bsym_u64_cmp);
  for (size_t i = 0; i < a->narena; i++)
    n += i == 0 || v[i] != v[i - 1];
  free(v);
  return n;
}

int bsym_export_bench(const char *dir, size_t nsamples, size_t npcs) {
  struct prof__modules *ms = prof__modules_new();
  const struct prof__module *m = ms ? prof__modules_find(ms, (uintptr_t)qsort)
                                    : NULL;
  uint64_t *pcs = m ? bsym_pcs(m, npcs) : NULL;
  struct prof__agg a;
  struct prof__model *model = NULL;
  char path[256];
  if (!pcs)
    return -1;
  prof__agg_init(&a);
  double t0 = bsym_now();
  int err = bsym_fill(&a, m->id, pcs, npcs, nsamples);
  double t1 = bsym_now();
  struct prof__natsym *ns = err ? NULL : prof__natsym_new(ms, NULL, NULL);
  struct prof__build_meta meta = {"bench", getpid(), 0, 0, 250, "itimer",
                                  "cpu", {nsamples, 0, 0, 0, 0}};
  err = !ns || prof__build_model(&a, ms, ns, &meta, &model) != 0;
  double t2 = bsym_now();
  snprintf(path, sizeof(path), "%s/export.speedscope.json", dir);
  struct prof__export_opts eo = {0};
  err = err || prof__export_file(model, PROF__FMT_SPEEDSCOPE, &eo, path) != 0;
  double t3 = bsym_now();
  printf("\nexport goal: %zu samples, %zu distinct PCs, %zu distinct stacks, "
         "%zu model frames\n", nsamples, bsym_distinct_pcs(&a), a.nentries,
         model ? model->nframes : 0);
  printf("  aggregate (collector, during the run) %8.3f s\n", t1 - t0);
  printf("  build model incl. symbolization        %8.3f s\n", t2 - t1);
  printf("  write speedscope                       %8.3f s\n", t3 - t2);
  printf("  build + write (goal < 2 s)             %8.3f s  %s\n", t3 - t1,
         err ? "FAILED" : (t3 - t1 < 2.0 ? "met" : "NOT met"));
  unlink(path);
  prof__model_free(model);
  prof__natsym_free(ns);
  prof__agg_destroy(&a);
  prof__modules_free(ms);
  free(pcs);
  return err ? -1 : 0;
}
