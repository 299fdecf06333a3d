/* The unwinder's rule cache (unwind/rules.h) against libunwind itself.
 *
 * - equivalence: real snapshots of code built -O2 -fomit-frame-pointer
 *   (deep recursion, a comparator under glibc's frameless qsort, threads
 *   sampled at arbitrary instructions by tgkill) unwound with the fast
 *   path and with libunwind alone give the same frames, pc and sp, frame
 *   for frame, and the same status; and the fast path really did the work;
 * - robustness: corrupted snapshots never crash or loop and end FAILED;
 * - invalidation: a library loaded where a dlclosed one was, with the same
 *   code layout but other frame sizes, is not unwound with the old rules;
 * - the rule table itself: growth, lookups, sweeping unloaded modules. */
#include "cu_suite.h"
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "snap.h"
#include "unwind/rules.h"
#include "unwind/unwind.h"
#include "workload.h"

#define MAXF 256

static struct prof__modules *ms;
static struct prof__unwinder *fast, *slow;

static void raise_prof(void) { raise(SIGPROF); }

static void print_frames(const char *what, const uint64_t *pcs,
                         const uint64_t *sps, int n) {
  fprintf(stderr, "  %s: %d frames\n", what, n);
  for (int i = 0; i < n; i++) {
    Dl_info di;
    const char *name = "?";
    if (dladdr((void *)(pcs[i] - (i > 0)), &di) && di.dli_sname)
      name = di.dli_sname;
    fprintf(stderr, "    #%d pc=%#lx sp=%#lx %s\n", i, (unsigned long)pcs[i],
            (unsigned long)sps[i], name);
  }
}

/* Unwinds s both ways; 0 when the two agree exactly. *n_out: frames. */
static int compare_one(const struct prof__sample *s, int *n_out,
                       enum prof__unwind_status *st_out) {
  uint64_t pa[MAXF], sa[MAXF], pb[MAXF], sb[MAXF];
  enum prof__unwind_status a, b;
  int na = prof__unwind(fast, s, pa, sa, MAXF, &a);
  int nb = prof__unwind(slow, s, pb, sb, MAXF, &b);
  *n_out = nb;
  *st_out = b;
  if (na == nb && a == b && memcmp(pa, pb, 8 * (size_t)na) == 0 &&
      memcmp(sa, sb, 8 * (size_t)na) == 0)
    return 0;
  fprintf(stderr, "mismatch: fast status %d, libunwind status %d\n", a, b);
  print_frames("fast", pa, sa, na);
  print_frames("libunwind", pb, sb, nb);
  return -1;
}

/* Compares every sample of p; returns how many completed. */
static uint32_t compare_pool(const struct snap_pool *p, int min_frames) {
  uint32_t n = snap_count(p), complete = 0, bad = 0;
  for (uint32_t i = 0; i < n; i++) {
    int frames;
    enum prof__unwind_status st;
    if (compare_one(snap_get(p, i), &frames, &st) != 0 && bad++ < 5)
      fprintf(stderr, "  (sample %u of %u)\n", i, n);
    complete += st == PROF__UNWIND_COMPLETE && frames >= min_frames;
  }
  CU_ASSERT_EQUAL(bad, 0);
  return complete;
}

static void stats_delta(struct prof__unwind_stats *before,
                        struct prof__unwind_stats *d) {
  struct prof__unwind_stats now;
  prof__unwinder_stats(fast, &now);
  d->fast = now.fast - before->fast;
  d->fallback = now.fallback - before->fallback;
  d->probes = now.probes - before->probes;
  *before = now;
}

/* ---- equivalence: known stacks via raise() ---------------------------- */
static void usr1_handler(int sig) { raise_prof(); }
static void raise_usr1(void) { raise(SIGUSR1); }

/* A sample inside a signal handler: the walk must cross the kernel's
 * signal frame (__restore_rt), which the rules cannot express, so that
 * one sample is libunwind's. */
static void signal_frame_sample(void) {
  struct sigaction sa, old;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = usr1_handler;
  sigaction(SIGUSR1, &sa, &old);
  wl_recurse(3, 1, raise_usr1);
  sigaction(SIGUSR1, &old, NULL);
}

static void test_equivalence_raise(void) {
  static const int depths[] = {0, 1, 5, 30, 120};
  struct snap_pool p;
  struct prof__unwind_stats st0, d;
  CU_ASSERT_FATAL(snap_pool_init(&p, 64) == 0);
  prof__unwinder_stats(fast, &st0);
  snap_install(&p);
  for (int i = 0; i < 5; i++)
    wl_recurse(depths[i], (uint64_t)i, raise_prof);
  for (long k = 0; k < 20000; k += 997)
    wl_sort(20000, k, raise_prof);
  signal_frame_sample();
  snap_install(NULL);
  uint32_t n = snap_count(&p);
  CU_ASSERT_EQUAL(n, 5 + 21 + 1);
  /* Every stack reaches _start through main: nothing may end early. */
  CU_ASSERT_EQUAL(compare_pool(&p, 8), n);
  stats_delta(&st0, &d);
  CU_ASSERT_EQUAL(d.fast, n - 1);
  CU_ASSERT_EQUAL(d.fallback, 1);
  snap_pool_free(&p);
}

/* ---- equivalence: threads sampled anywhere ---------------------------- */
struct worker {
  pthread_t th;
  _Atomic pid_t tid;
};
static volatile int stop_workers;

static void *worker_main(void *arg) {
  struct worker *w = arg;
  atomic_store(&w->tid, gettid());
  wl_mix(&stop_workers);
  return NULL;
}

/* Sends SIGPROF round-robin to the workers until p is full (or 20 s). */
static void sample_workers(struct snap_pool *p, struct worker *w, int nw) {
  struct timespec gap = {0, 20000}, t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; snap_count(p) < p->cap; i++) {
    pid_t tid = atomic_load(&w[i % nw].tid);
    if (tid)
      tgkill(getpid(), tid, SIGPROF);
    nanosleep(&gap, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (t.tv_sec - t0.tv_sec > 20)
      break;
  }
}

static void test_equivalence_threads(void) {
  enum { NW = 4, NSAMPLES = 4000 };
  struct worker w[NW];
  struct snap_pool p;
  struct prof__unwind_stats st0, d;
  CU_ASSERT_FATAL(snap_pool_init(&p, NSAMPLES) == 0);
  memset(w, 0, sizeof(w));
  stop_workers = 0;
  snap_install(&p);
  for (int i = 0; i < NW; i++)
    pthread_create(&w[i].th, NULL, worker_main, &w[i]);
  sample_workers(&p, w, NW);
  stop_workers = 1;
  for (int i = 0; i < NW; i++)
    pthread_join(w[i].th, NULL);
  snap_install(NULL);
  uint32_t n = snap_count(&p);
  CU_ASSERT(n >= NSAMPLES / 2);
  prof__unwinder_stats(fast, &st0);
  uint32_t complete = compare_pool(&p, 4);
  stats_delta(&st0, &d);
  fprintf(stderr, "\n  %u samples: %u complete, %lu by rules, %lu handed "
          "to libunwind, %lu probes\n", n, complete,
          (unsigned long)d.fast, (unsigned long)d.fallback,
          (unsigned long)d.probes);
  /* A thread stack is far shallower than the 16 KiB copied. */
  CU_ASSERT(complete >= n * 95 / 100);
  /* The fast path must do the work, not merely agree by falling back. */
  CU_ASSERT(d.fast >= n * 95 / 100);
  snap_pool_free(&p);
}

/* ---- robustness -------------------------------------------------------- */
static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint64_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

enum corrupt { C_RANDOM_STACK, C_RANDOM_ALL, C_TRUNCATED, C_SP_NOWHERE,
               C_ZERO_STACK, C_SELF_POINTERS, C_NKINDS };

static void fill_random(unsigned char *b, size_t len) {
  for (size_t i = 0; i + 8 <= len; i += 8) {
    uint64_t v = rng();
    memcpy(b + i, &v, 8);
  }
}

/* Words that point into the snapshot itself, mixed with real return
 * addresses: the kind of data that makes a naive walker loop. */
static void fill_self(struct prof__sample *s, const uint64_t *ras, int nra) {
  for (uint32_t i = 0; i + 8 <= s->stack_len; i += 8) {
    uint64_t v = rng() % 3 == 0 && nra > 0
                     ? ras[rng() % (uint64_t)nra]
                     : s->stack_addr + (rng() % (s->stack_len / 8)) * 8;
    memcpy(s->stack + i, &v, 8);
  }
}

static void corrupt(struct prof__sample *s, enum corrupt kind,
                    const uint64_t *ras, int nra) {
  static const uint64_t nowhere[] = {0, 8, UINT64_MAX - 7, 0x7fffffff0000ull};
  switch (kind) {
  case C_RANDOM_ALL:
    for (int r = 0; r < PROF__ARCH_NREGS; r++)
      s->regs.r[r] = rng();
    /* fall through */
  case C_RANDOM_STACK:
    fill_random(s->stack, s->stack_len);
    break;
  case C_TRUNCATED:
    s->stack_len = (uint32_t)(rng() % 256);
    break;
  case C_SP_NOWHERE:
    s->regs.r[PROF__ARCH_REG_SP] = nowhere[rng() % 4];
    break;
  case C_ZERO_STACK:
    memset(s->stack, 0, s->stack_len);
    break;
  default:
    fill_self(s, ras, nra);
  }
}

/* Runs one corrupted copy through both unwinders. The fast path's result
 * must be a bounded, outward walk; the kinds whose data cannot form a
 * stack must end FAILED. libunwind alone must merely survive. */
static void check_corrupt(const struct prof__sample *s, enum corrupt kind,
                          int *failed) {
  uint64_t pcs[MAXF], sps[MAXF];
  enum prof__unwind_status st;
  struct prof__unwind_stats before, after;
  prof__unwinder_stats(fast, &before);
  int n = prof__unwind(fast, s, pcs, sps, MAXF, &st);
  prof__unwinder_stats(fast, &after);
  CU_ASSERT(n >= 1 && n < MAXF);
  if (after.fast > before.fast)
    for (int i = 1; i < n; i++)
      CU_ASSERT(sps[i] > sps[i - 1]);
  if (kind != C_SELF_POINTERS && st != PROF__UNWIND_FAILED) {
    if ((*failed)++ < 3) {
      fprintf(stderr, "\n  corruption %d ended with status %d\n", kind, st);
      print_frames("fast", pcs, sps, n);
    }
  }
  n = prof__unwind(slow, s, pcs, sps, MAXF, &st);
  CU_ASSERT(n >= 1 && n <= MAXF);
}

static void test_robustness(void) {
  struct snap_pool p;
  CU_ASSERT_FATAL(snap_pool_init(&p, 40) == 0);
  snap_install(&p);
  for (int i = 0; i < 20; i++)
    wl_recurse(i * 3, (uint64_t)i, raise_prof);
  for (long k = 0; k < 20; k++)
    wl_sort(5000, k * 200, raise_prof);
  snap_install(NULL);
  struct prof__sample *s = malloc(p.slot);
  CU_ASSERT_FATAL(s != NULL);
  int not_failed = 0, tried = 0;
  for (uint32_t i = 0; i < snap_count(&p); i++) {
    uint64_t ras[MAXF], sps[MAXF];
    enum prof__unwind_status st;
    int nra = prof__unwind(slow, snap_get(&p, i), ras, sps, MAXF, &st);
    for (int kind = 0; kind < C_NKINDS; kind++)
      for (int rep = 0; rep < 25; rep++, tried++) {
        memcpy(s, snap_get(&p, i), p.slot);
        corrupt(s, (enum corrupt)kind, ras + 1, nra - 1);
        check_corrupt(s, (enum corrupt)kind, &not_failed);
      }
  }
  CU_ASSERT_EQUAL(not_failed, 0);
  fprintf(stderr, "\n  %d corrupted snapshots\n", tried);
  free(s);
  snap_pool_free(&p);
}

/* ---- invalidation ------------------------------------------------------ */
typedef int (*twin_fn)(void (*)(void), int);

/* Loads path, takes one sample inside its twin_call, and returns the
 * library's load address (0 on failure); the handle stays in *h. */
static uintptr_t twin_sample(const char *path, struct snap_pool *p,
                             void **h) {
  *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  twin_fn f = *h ? (twin_fn)dlsym(*h, "twin_call") : NULL;
  Dl_info di;
  if (!f || !dladdr((void *)f, &di))
    return 0;
  atomic_store(&p->n, 0);
  snap_install(p);
  f(raise_prof, 3);
  snap_install(NULL);
  /* What the collector's module cache does when it next rescans. */
  prof__modules_refresh(ms);
  return (uintptr_t)di.dli_fbase;
}

static void test_invalidation(void) {
  struct snap_pool p;
  void *ha, *hb;
  int n;
  enum prof__unwind_status st;
  struct prof__unwind_stats st0, d;
  CU_ASSERT_FATAL(snap_pool_init(&p, 1) == 0);
  uintptr_t base_a = twin_sample(TWIN_A, &p, &ha);
  CU_ASSERT_FATAL(base_a != 0 && snap_count(&p) == 1);
  CU_ASSERT(compare_one(snap_get(&p, 0), &n, &st) == 0);
  CU_ASSERT(st == PROF__UNWIND_COMPLETE);
  dlclose(ha);
  prof__unwinder_stats(fast, &st0);
  uintptr_t base_b = twin_sample(TWIN_B, &p, &hb);
  CU_ASSERT_FATAL(base_b != 0 && snap_count(&p) == 1);
  if (base_b != base_a) {
    fprintf(stderr, "\n  (not at the same address: %#lx, %#lx; skipped)\n",
            (unsigned long)base_a, (unsigned long)base_b);
  } else {
    CU_ASSERT(compare_one(snap_get(&p, 0), &n, &st) == 0);
    CU_ASSERT(st == PROF__UNWIND_COMPLETE);
    stats_delta(&st0, &d);
    CU_ASSERT(d.probes >= 1); /* the return address into B, re-probed */
  }
  dlclose(hb);
  snap_pool_free(&p);
}

/* ---- the table --------------------------------------------------------- */
static void test_rules_table(void) {
  struct prof__rules *t = prof__rules_new();
  CU_ASSERT_FATAL(t != NULL);
  for (uint32_t i = 0; i < 50000; i++) {
    struct prof__rule r = {(int32_t)i, -8, -16, PROF__RULE_FP_SAVED};
    CU_ASSERT_EQUAL(prof__rules_put(t, prof__rule_key(i % 7, i, i & 1), &r),
                    0);
  }
  CU_ASSERT_EQUAL(prof__rules_count(t), 50000);
  for (uint32_t i = 0; i < 50000; i += 37) {
    const struct prof__rule *r = prof__rules_find(t, prof__rule_key(i % 7, i,
                                                                    i & 1));
    CU_ASSERT_FATAL(r != NULL);
    CU_ASSERT_EQUAL(r->cfa_off, (int32_t)i);
  }
  CU_ASSERT_PTR_NULL(prof__rules_find(t, prof__rule_key(1, 3, 0)));
  CU_ASSERT_EQUAL(prof__rule_key(1u << 23, 0, 0), 0);
  CU_ASSERT_EQUAL(prof__rule_key(0, (uint64_t)1 << 39, 0), 0);
  CU_ASSERT_EQUAL(prof__rule_key_module(prof__rule_key(12345, 77, 1)), 12345);
  /* Module ids past the cache's count are not loaded: swept. */
  prof__rules_sweep(t, ms);
  CU_ASSERT(prof__rules_count(t) <= 50000);
  prof__rules_free(t);
}

int main(void) {
  ms = prof__modules_new();
  if (!ms || prof__unwinder_new(&fast, PROF__UNWIND_DWARF, ms) != 0 ||
      prof__unwinder_new(&slow, PROF__UNWIND_DWARF, ms) != 0) {
    fprintf(stderr, "cannot create the unwinders\n");
    return 1;
  }
  prof__unwinder_set_fast(slow, 0);
  static const struct cu_test tests[] = {
      {"rule table", test_rules_table},
      {"equivalence, raise()", test_equivalence_raise},
      {"equivalence, threads", test_equivalence_threads},
      {"robustness", test_robustness},
      {"invalidation", test_invalidation},
  };
  int rc = cu_run_suite("unwind", tests, CU_COUNT(tests));
  prof__unwinder_free(fast);
  prof__unwinder_free(slow);
  prof__modules_free(ms);
  return rc;
}
