/* Unit tests of the core: arch register extraction, the ring buffer,
 * aggregation, the merge rule on synthetic samples, and LIBPROF_* parsing
 * with every bad-input case. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <ucontext.h>
#include <unistd.h>

#include "cu_suite.h"
#include "export/export.h"
#include "profiler/aggregate.h"
#include "profiler/config.h"
#include "sigpath/ring.h"
#include "profiler/stack.h"

/* ---- arch ------------------------------------------------------------ */
static void test_arch_regs(void) {
#if defined(__x86_64__)
  ucontext_t uc;
  memset(&uc, 0, sizeof(uc));
  for (int i = 0; i < NGREG; i++)
    uc.uc_mcontext.gregs[i] = 0x1000 + i;
  struct prof__regs r;
  prof__arch_regs_from_ucontext(&uc, &r);
  CU_ASSERT_EQUAL(prof__arch_pc(&r), 0x1000 + REG_RIP);
  CU_ASSERT_EQUAL(prof__arch_sp(&r), 0x1000 + REG_RSP);
  CU_ASSERT_EQUAL(prof__arch_fp(&r), 0x1000 + REG_RBP);
  CU_ASSERT_EQUAL(r.r[0], 0x1000 + REG_RAX); /* DWARF 0 = rax */
  CU_ASSERT_EQUAL(r.r[3], 0x1000 + REG_RBX); /* DWARF 3 = rbx */
  CU_ASSERT_EQUAL(r.r[8], 0x1000 + REG_R8);
  CU_ASSERT_EQUAL(r.r[15], 0x1000 + REG_R15);
#endif
}

/* ---- ring ------------------------------------------------------------ */
static void test_ring_fifo_full_and_drops(void) {
  struct prof__ring r;
  uint64_t t;
  CU_ASSERT_EQUAL_FATAL(prof__ring_init(&r, 8, 32), 0);
  for (int i = 0; i < 8; i++) {
    int *slot = prof__ring_claim(&r, &t);
    CU_ASSERT_PTR_NOT_NULL_FATAL(slot);
    *slot = i;
    prof__ring_publish(&r, t);
  }
  CU_ASSERT_PTR_NULL(prof__ring_claim(&r, &t)); /* full */
  CU_ASSERT_PTR_NULL(prof__ring_claim(&r, &t));
  CU_ASSERT_EQUAL(r.dropped, 2);
  for (int i = 0; i < 8; i++) {
    int *slot = prof__ring_peek(&r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(slot);
    CU_ASSERT_EQUAL(*slot, i); /* FIFO */
    prof__ring_release(&r);
  }
  CU_ASSERT_PTR_NULL(prof__ring_peek(&r));
  prof__ring_destroy(&r);
}

static void test_ring_wraps_and_waits_for_publish(void) {
  struct prof__ring r;
  uint64_t t1, t2, t;
  CU_ASSERT_EQUAL_FATAL(prof__ring_init(&r, 4, 16), 0);
  for (int round = 0; round < 10; round++) { /* 40 positions: wraps 10x */
    int *a = prof__ring_claim(&r, &t1);
    int *b = prof__ring_claim(&r, &t2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    *a = round * 2, *b = round * 2 + 1;
    prof__ring_publish(&r, t2); /* out of order: b before a */
    CU_ASSERT_PTR_NULL(prof__ring_peek(&r)); /* a is not published yet */
    prof__ring_publish(&r, t1);
    int *x = prof__ring_peek(&r);
    CU_ASSERT_EQUAL(*x, round * 2);
    prof__ring_release(&r);
    x = prof__ring_peek(&r);
    CU_ASSERT_EQUAL(*x, round * 2 + 1);
    prof__ring_release(&r);
  }
  CU_ASSERT_EQUAL(r.dropped, 0);
  CU_ASSERT_PTR_NOT_NULL(prof__ring_claim(&r, &t));
  CU_ASSERT_EQUAL(prof__ring_init(&r, 6, 16), PROF_EINVAL); /* not 2^n */
}

/* ---- aggregation ----------------------------------------------------- */
static void test_aggregate(void) {
  struct prof__agg a;
  struct prof__rawframe s1[2] = {{0x10, 1, PROF__RAW_LEAF},
                                 {0x20, 1, PROF__RAW_CALL}};
  struct prof__rawframe s2[2] = {{0x11, 1, PROF__RAW_LEAF},
                                 {0x20, 1, PROF__RAW_CALL}};
  prof__agg_init(&a);
  CU_ASSERT_EQUAL(prof__agg_add(&a, 7, s1, 2, 100), 0);
  CU_ASSERT_EQUAL(prof__agg_add(&a, 7, s1, 2, 50), 0);
  CU_ASSERT_EQUAL(prof__agg_add(&a, 8, s1, 2, 5), 0);  /* other thread */
  CU_ASSERT_EQUAL(prof__agg_add(&a, 7, s2, 2, 1), 0);  /* other stack */
  CU_ASSERT_EQUAL(prof__agg_add(&a, 7, s1, 1, 1), 0);  /* prefix only */
  CU_ASSERT_EQUAL_FATAL(a.nentries, 4);
  CU_ASSERT_EQUAL(a.entries[0].count, 2);
  CU_ASSERT_EQUAL(a.entries[0].weight_ns, 150);
  CU_ASSERT_EQUAL(a.entries[1].tid, 8);
  CU_ASSERT_EQUAL(a.entries[2].weight_ns, 1);
  for (int i = 0; i < 5000; i++) { /* forces rehashing */
    struct prof__rawframe f = {(uint64_t)i, 2, PROF__RAW_LEAF};
    CU_ASSERT_EQUAL(prof__agg_add(&a, 9, &f, 1, 1), 0);
  }
  CU_ASSERT_EQUAL(prof__agg_add(&a, 7, s1, 2, 10), 0);
  CU_ASSERT_EQUAL(a.nentries, 5004);
  CU_ASSERT_EQUAL(a.entries[0].count, 3);
  prof__agg_destroy(&a);
}

/* ---- merge ----------------------------------------------------------- */
/* A sample whose native stack (innermost first) is, with sps rising:
 *   0 cmp_c     sp 100   <- native callee of the inner NATIVE crossing
 *   1 interp2   sp 200   <- interpreter internals (inner MANAGED)
 *   2 c_sort    sp 300   <- native callee of the outer NATIVE crossing
 *   3 interp1   sp 400   <- interpreter internals (outer MANAGED)
 *   4 main      sp 500
 * slice (outermost first): MANAGED@450, NATIVE@350 ctx, MANAGED@250,
 * NATIVE@150 ctx.  Managed PCs: record 1 -> {0xF1}, record 3 -> {0xC1}. */
static struct prof__sample *merge_sample(void) {
  static union { struct prof__sample s; char pad[sizeof(struct prof__sample) + 64]; } u;
  struct prof__sample *s = &u.s;
  memset(s, 0, sizeof(*s));
  struct prof__crossing rec[4] = {{PROF__CROSS_MANAGED, 0, 450, 0},
                                  {PROF__CROSS_NATIVE, 0, 350, 1},
                                  {PROF__CROSS_MANAGED, 1, 250, 0},
                                  {PROF__CROSS_NATIVE, 1, 150, 2}};
  memcpy(s->slice, rec, sizeof(rec));
  s->nslice = 4;
  s->mpcs[0] = 0xC1, s->tb_off[3] = 0, s->tb_len[3] = 1;
  s->mpcs[1] = 0xF1, s->tb_off[1] = 1, s->tb_len[1] = 1;
  s->nmpcs = 2;
  return s;
}

static void test_merge_nested(void) {
  uint64_t pcs[5] = {0xA0, 0xA1, 0xA2, 0xA3, 0xA4};
  uint64_t sps[5] = {100, 200, 300, 400, 500};
  struct prof__rawframe out[16];
  int cut;
  int n = prof__merge(merge_sample(), pcs, sps, 5, 0, out, 16, &cut);
  uint64_t want[] = {0xA0, 0xC1, 0xA2, 0xF1, 0xA4};
  uint32_t kinds[] = {PROF__RAW_LEAF, PROF__RAW_MANAGED, PROF__RAW_CALL,
                      PROF__RAW_MANAGED, PROF__RAW_CALL};
  CU_ASSERT_EQUAL_FATAL(n, 5);
  CU_ASSERT_EQUAL(cut, 0);
  for (int i = 0; i < 5; i++) {
    CU_ASSERT_EQUAL(out[i].pc, want[i]);
    CU_ASSERT_EQUAL(out[i].kind, kinds[i]);
  }
  CU_ASSERT_EQUAL(out[1].id, 1); /* runtime ids travel with the frames */
  CU_ASSERT_EQUAL(out[3].id, 0);
  /* Keeping interpreter internals puts interp2/interp1 back in place. */
  n = prof__merge(merge_sample(), pcs, sps, 5, 1, out, 16, &cut);
  CU_ASSERT_EQUAL_FATAL(n, 7);
  CU_ASSERT_EQUAL(out[2].pc, 0xA1);
  CU_ASSERT_EQUAL(out[5].pc, 0xA3);
  /* Too small an output buffer cuts and says so. */
  n = prof__merge(merge_sample(), pcs, sps, 5, 0, out, 3, &cut);
  CU_ASSERT_EQUAL(n, 3);
  CU_ASSERT_EQUAL(cut, 1);
}

/* ---- configuration --------------------------------------------------- */
static void clear_env(void) {
  const char *vars[] = {"LIBPROF_OUT", "LIBPROF_HZ", "LIBPROF_MODE",
                        "LIBPROF_FORMAT", "LIBPROF_MAX_DEPTH",
                        "LIBPROF_SIGNAL", "LIBPROF_QUIET", "LIBPROF_UNWIND",
                        "LIBPROF_STACK_BYTES", "LIBPROF_COLLAPSED_WEIGHT",
                        "LIBPROF_KEEP_INTERNALS"};
  for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
    unsetenv(vars[i]);
  setenv("LIBPROF_OUT", "/tmp/libprof-unit.json", 1);
}

static void expect_bad(const char *var, const char *val, int code,
                       const char *needle) {
  struct prof__config c;
  char err[600];
  clear_env();
  setenv(var, val, 1);
  int r = prof__config_load(NULL, &c, err, sizeof(err));
  CU_ASSERT_EQUAL(r, code);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, var));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, needle));
  if (r != code || !strstr(err, needle))
    fprintf(stderr, "\n  %s=%s gave %d: %s\n", var, val, r, err);
}

static void test_config_bad_values(void) {
  const char *hz = "an integer from 1 to 100000";
  expect_bad("LIBPROF_HZ", "abc", PROF_ECONFIG, hz);
  expect_bad("LIBPROF_HZ", "0", PROF_ECONFIG, hz);
  expect_bad("LIBPROF_HZ", "100001", PROF_ECONFIG, hz);
  expect_bad("LIBPROF_HZ", "-5", PROF_ECONFIG, hz);
  expect_bad("LIBPROF_HZ", "100x", PROF_ECONFIG, hz);
  expect_bad("LIBPROF_MAX_DEPTH", "0", PROF_ECONFIG, "1 to 4096");
  expect_bad("LIBPROF_MAX_DEPTH", "5000", PROF_ECONFIG, "1 to 4096");
  expect_bad("LIBPROF_MAX_DEPTH", "deep", PROF_ECONFIG, "1 to 4096");
  expect_bad("LIBPROF_MODE", "fast", PROF_ECONFIG, "cpu, timer, itimer or wall");
  expect_bad("LIBPROF_FORMAT", "png", PROF_ECONFIG, "speedscope, d3");
  expect_bad("LIBPROF_SIGNAL", "SIGSEGV", PROF_ECONFIG, "SIGPROF");
  expect_bad("LIBPROF_UNWIND", "magic", PROF_ECONFIG, "dwarf or fp");
  expect_bad("LIBPROF_STACK_BYTES", "12", PROF_ECONFIG, "1024 to 262144");
  expect_bad("LIBPROF_OUT", "/nonexistent-dir/x.json", PROF_EOUTPUT,
             "existing, writable directory");
  const char *ro = geteuid() == 0 ? "/sys/kernel/x.json" : "/proc/x.json";
  expect_bad("LIBPROF_OUT", ro, PROF_EOUTPUT, "cannot create files");
}

static void test_config_good_values(void) {
  struct prof__config c;
  char err[600];
  clear_env();
  setenv("LIBPROF_OUT", "/tmp/libprof-unit-%p.pb.gz", 1);
  setenv("LIBPROF_HZ", "997", 1);
  setenv("LIBPROF_MODE", "wall", 1);
  setenv("LIBPROF_SIGNAL", "SIGRTMIN+2", 1);
  CU_ASSERT_EQUAL_FATAL(prof__config_load(NULL, &c, err, sizeof(err)), 0);
  char want[64];
  snprintf(want, sizeof(want), "/tmp/libprof-unit-%ld.pb.gz", (long)getpid());
  CU_ASSERT_STRING_EQUAL(c.out, want);
  CU_ASSERT_EQUAL(c.hz, 997);
  CU_ASSERT_EQUAL(c.mode, PROF__MODE_WALL);
  CU_ASSERT_EQUAL(c.signal, SIGRTMIN + 2);
  CU_ASSERT_EQUAL(c.max_depth, 256);
  CU_ASSERT_EQUAL(c.formats, PROF__FMT_PPROF); /* from the extension */
  struct prof_options o = {.out = "/tmp/o.json", .hz = 50, .mode = "itimer"};
  CU_ASSERT_EQUAL_FATAL(prof__config_load(&o, &c, err, sizeof(err)), 0);
  CU_ASSERT_EQUAL(c.hz, 50); /* options win over the environment */
  CU_ASSERT_EQUAL(c.mode, PROF__MODE_ITIMER);
  CU_ASSERT_EQUAL(c.formats, PROF__FMT_SPEEDSCOPE);
  unsetenv("LIBPROF_OUT");
  CU_ASSERT_EQUAL(prof__config_load(NULL, &c, err, sizeof(err)), PROF_ENOOUT);
  CU_ASSERT_PTR_NOT_NULL(strstr(prof_strerror(PROF_ENOOUT), "LIBPROF_OUT"));
}

/* Every variable has its field, and a field wins over its variable. */
static void test_config_every_option(void) {
  struct prof__config c;
  char err[600];
  setenv("LIBPROF_KEEP_INTERNALS", "1", 1);
  setenv("LIBPROF_PYTHON", "1", 1);
  setenv("LIBPROF_FORK", "follow", 1);
  struct prof_options o = PROF_OPTIONS_INIT;
  o.out = "/tmp/o.json";
  o.stack_bytes = 4096;
  o.keep_internals = -1;
  o.collapsed_weight = "ns";
  o.debug_dirs = "/opt/dbg";
  o.fork = "stop";
  o.log = "/tmp/libprof-unit.log";
  o.python = -1;
  o.unwind = "fp";
  o.jitter = -1;
  o.seed = 42;
  o.cache_dir = "/tmp/libprof-unit-cache";
  CU_ASSERT_EQUAL_FATAL(prof__config_load(&o, &c, err, sizeof(err)), 0);
  CU_ASSERT_EQUAL(c.stack_bytes, 4096);
  CU_ASSERT_EQUAL(c.keep_internals, 0);
  CU_ASSERT_EQUAL(c.collapsed_ns, 1);
  CU_ASSERT_STRING_EQUAL(c.debug_dirs, "/opt/dbg");
  CU_ASSERT_EQUAL(c.fork_stop, 1);
  CU_ASSERT_STRING_EQUAL(c.log, "/tmp/libprof-unit.log");
  CU_ASSERT_EQUAL(c.python, 0);
  CU_ASSERT_EQUAL(c.unwind, 1);
  CU_ASSERT_EQUAL(c.jitter, 0);
  CU_ASSERT_EQUAL(c.seed, 42);
  CU_ASSERT_STRING_EQUAL(c.cache_dir, "/tmp/libprof-unit-cache");
  o.stack_bytes = 10; /* out of range: named like the variable */
  CU_ASSERT_EQUAL(prof__config_load(&o, &c, err, sizeof(err)), PROF_ECONFIG);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "LIBPROF_STACK_BYTES"));
  unsetenv("LIBPROF_KEEP_INTERNALS");
  unsetenv("LIBPROF_PYTHON");
  unsetenv("LIBPROF_FORK");
}

/* size: 0 is this version; a shorter struct leaves the rest default; a
 * longer one is refused only when it sets what this library cannot read. */
static void test_config_options_size(void) {
  struct prof__config c;
  char err[600];
  struct {
    struct prof_options o;
    int newer;
  } big;
  memset(&big, 0, sizeof(big));
  big.o.size = sizeof(big);
  big.o.out = "/tmp/o.json";
  big.o.hz = 77;
  CU_ASSERT_EQUAL(prof__config_load(&big.o, &c, err, sizeof(err)), 0);
  CU_ASSERT_EQUAL(c.hz, 77);
  big.newer = 1;
  CU_ASSERT_EQUAL(prof__config_load(&big.o, &c, err, sizeof(err)),
                  PROF_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "does not know"));
  struct prof_options o = {.out = "/tmp/o.json", .hz = 33, .stack_bytes = 4096};
  o.size = offsetof(struct prof_options, stack_bytes); /* an older caller */
  CU_ASSERT_EQUAL(prof__config_load(&o, &c, err, sizeof(err)), 0);
  CU_ASSERT_EQUAL(c.hz, 33);
  CU_ASSERT_EQUAL(c.stack_bytes, 16384); /* past its size: the default */
}

int main(void) {
  static const struct cu_test tests[] = {
      {"arch register extraction", test_arch_regs},
      {"ring: FIFO, full, drop counting", test_ring_fifo_full_and_drops},
      {"ring: wrap-around, publish order", test_ring_wraps_and_waits_for_publish},
      {"aggregation of identical stacks", test_aggregate},
      {"merge: C->M->C->M->C", test_merge_nested},
      {"config: every bad value", test_config_bad_values},
      {"config: good values and options", test_config_good_values},
      {"config: every variable has an option", test_config_every_option},
      {"config: options carry their size", test_config_options_size},
  };
  int rc = cu_run_suite("core", tests, CU_COUNT(tests));
  return rc;
}
