/* Symbolization tests (issue 5). `test_symbols CASE` runs one case; each
 * asserts exact names, files and lines. The profile cases run a workload
 * of tests/symbols/ under LD_PRELOAD=libprof.so (itimer, 250 Hz) and read
 * its speedscope file; "unit" calls the symbolizer directly. */
#include <CUnit/Basic.h>
#include <dlfcn.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profiler/debuginfo.h"
#include "profiler/demangle.h"
#include "profiler/symbolize.h"
#include "test_symbols_util.h"
#include "test_symcache.h"

#define SRC(f) SYM_SRC "/" f

static char tmp[4096];
static char out[4200];

/* A new temporary directory for this case's files (the last one is
 * removed). */
static void fresh_out(void) {
  if (tmp[0])
    sym_rmtree(tmp);
  CU_ASSERT_FATAL(sym_tmpdir(tmp, sizeof(tmp)) == 0);
  snprintf(out, sizeof(out), "%s/prof.speedscope.json", tmp);
}

/* Runs argv, loads the profile; fatal on failure. The assertions read
 * the pprof output, where every PC keeps its own lines (speedscope and d3
 * merge a function's PCs into one frame; test_inline checks those). */
static void profile(char *const argv[], char *const env[],
                    struct sym_profile *p) {
  char pprof[4200];
  int st = sym_run(out, argv, env);
  CU_ASSERT_EQUAL_FATAL(st, 0);
  snprintf(pprof, sizeof(pprof), "%s/prof.pb.gz", tmp);
  CU_ASSERT_EQUAL_FATAL(sym_load_pprof(pprof, p), 0);
  CU_ASSERT_FATAL(p->total > 0);
}

static int frame_is(const struct sym_frame *f, const char *name,
                    const char *file, long lo, long hi, int inlined) {
  return f && strcmp(f->name, name) == 0 && f->inlined == inlined &&
         (!file || (f->file && strcmp(f->file, file) == 0)) &&
         (lo < 0 || (f->line >= lo && f->line <= hi));
}

static void expect_share(const struct sym_profile *p, const char *what,
                         double got, double lo, double hi) {
  if (got < lo || got > hi) {
    fprintf(stderr, "\n%s: share %.3f not in [%.2f, %.2f]; heaviest stacks:\n",
            what, got, lo, hi);
    sym_dump(p, 8);
  }
  CU_ASSERT(got >= lo && got <= hi);
}

/* ---- inlined frames --------------------------------------------------- */

/* main -> outer -> helper (inlined), each with its own file and line. */
static int inline_chain(const struct sym_profile *p, const struct sym_stack *s,
                        const void *arg) {
  const char *file = SRC("inline_prog.c");
  long h = sym_marker_line(file, "HELPER_LINE"),
       o = sym_marker_line(file, "OUTER_LINE"),
       m = sym_marker_line(file, "MAIN_LINE");
  return frame_is(sym_from_leaf(p, s, 0), "helper", file, h - 2, h + 1, 1) &&
         frame_is(sym_from_leaf(p, s, 1), "outer", file, o - 1, o + 1, 0) &&
         frame_is(sym_from_leaf(p, s, 2), "main", file, m - 1, m + 1, 0);
}

static void check_inline(const struct sym_profile *p) {
  expect_share(p, "main > outer > helper[inlined]",
               sym_share(p, inline_chain, NULL), 0.8, 1.0);
}

/* The d3 export marks the inlined frame with libtype "inlined". */
static int d3_has_inlined(json_t *node, const char *name) {
  const char *n = json_string_value(json_object_get(node, "name"));
  const char *t = json_string_value(json_object_get(node, "libtype"));
  if (n && t && strcmp(n, name) == 0 && strcmp(t, "inlined") == 0)
    return 1;
  json_t *kids = json_object_get(node, "children");
  for (size_t i = 0; i < json_array_size(kids); i++)
    if (d3_has_inlined(json_array_get(kids, i), name))
      return 1;
  return 0;
}

static int inlined_helper(const struct sym_profile *p,
                          const struct sym_stack *s, const void *arg) {
  return frame_is(sym_from_leaf(p, s, 0), "helper", SRC("inline_prog.c"), -1,
                  0, 1) &&
         frame_is(sym_from_leaf(p, s, 1), "outer", SRC("inline_prog.c"), -1,
                  0, 0);
}

static void test_inline(void) {
  struct sym_profile p;
  char *argv[] = {SYM_INLINE, "1.5", NULL};
  fresh_out();
  profile(argv, NULL, &p);
  check_inline(&p);
  sym_free(&p);
  /* speedscope: the helper's frame says "inlined": true */
  CU_ASSERT_EQUAL_FATAL(sym_load(out, &p), 0);
  expect_share(&p, "speedscope outer > helper[inlined]",
               sym_share(&p, inlined_helper, NULL), 0.8, 1.0);
  sym_free(&p);
  char d3[4200];
  snprintf(d3, sizeof(d3), "%s/prof.d3.json", tmp);
  json_t *root = json_load_file(d3, 0, NULL);
  CU_ASSERT_PTR_NOT_NULL(root);
  CU_ASSERT(root && d3_has_inlined(root, "helper"));
  json_decref(root);
}

/* ---- separate debug files --------------------------------------------- */

/* Stripped binary, debug file under a temporary .build-id tree named by
 * LIBPROF_DEBUG_DIRS (after a root that does not exist). */
static void test_build_id(void) {
  char id[130], dbg[4400], dirs[4400], prog[4200];
  struct sym_profile p;
  fresh_out();
  snprintf(prog, sizeof(prog), "%s/inline_prog.stripped", SYM_DIR);
  CU_ASSERT_FATAL(sym_build_id(prog, id, sizeof(id)) == 0);
  snprintf(dbg, sizeof(dbg), "%s/root/.build-id/%.2s/%s.debug", tmp, id,
           id + 2);
  CU_ASSERT_FATAL(sym_copy(SYM_DIR "/inline_prog.debug", dbg) == 0);
  snprintf(dirs, sizeof(dirs), "LIBPROF_DEBUG_DIRS=/nonexistent:%s/root", tmp);
  char *argv[] = {prog, "1.5", NULL}, *env[] = {dirs, NULL};
  profile(argv, env, &p);
  check_inline(&p);
  sym_free(&p);
}

/* Stripped binary with a .gnu_debuglink, debug file in .debug/ next to
 * it (found by name, checked by build-id). */
static void test_debuglink(void) {
  char prog[4400], dbg[4400];
  struct sym_profile p;
  fresh_out();
  snprintf(prog, sizeof(prog), "%s/bin/inline_prog.linked", tmp);
  snprintf(dbg, sizeof(dbg), "%s/bin/.debug/inline_prog.debug", tmp);
  CU_ASSERT_FATAL(sym_copy(SYM_DIR "/inline_prog.linked", prog) == 0);
  CU_ASSERT_FATAL(sym_copy(SYM_DIR "/inline_prog.debug", dbg) == 0);
  char *argv[] = {prog, "1.5", NULL};
  profile(argv, NULL, &p);
  check_inline(&p);
  sym_free(&p);
}

struct raw_leaf {
  const char *module; /* basename the fallback name starts with */
  uint64_t lo, hi;    /* outer()'s link-time range               */
};

/* Leaf named module+0xoffset, the offset of outer()'s start (its FDE's,
 * issue 11): every PC of the function is one frame. */
static int raw_leaf_in(const struct sym_profile *p, const struct sym_stack *s,
                       const void *arg) {
  const struct raw_leaf *r = arg;
  const struct sym_frame *f = sym_from_leaf(p, s, 0);
  size_t n = strlen(r->module);
  unsigned long long off;
  char end;
  return f && strncmp(f->name, r->module, n) == 0 &&
         sscanf(f->name + n, "+0x%llx%c", &off, &end) == 1 && off == r->lo &&
         !f->file && f->line == 0;
}

static int named_inline_prog(const char *name) {
  return strcmp(name, "helper") == 0 || strcmp(name, "outer") == 0;
}

static void check_raw_outer(const struct sym_profile *p, const char *module) {
  struct raw_leaf r = {module, 0, 0};
  CU_ASSERT_FATAL(sym_elf_func(SYM_INLINE, "outer", &r.lo, &r.hi) == 0);
  expect_share(p, "module+0x(outer's start)", sym_share(p, raw_leaf_in, &r),
               0.8, 1.0);
  CU_ASSERT_PTR_NULL(sym_any_name(p, named_inline_prog));
}

/* A debug file of another build, under the right build-id path and the
 * right debuglink name: both must be rejected. */
static void test_stale(void) {
  char prog[4400], dbg[4400], id[130], dirs[4400];
  struct sym_profile p;
  fresh_out();
  snprintf(prog, sizeof(prog), "%s/bin/inline_prog.linked", tmp);
  snprintf(dbg, sizeof(dbg), "%s/bin/.debug/inline_prog.debug", tmp);
  CU_ASSERT_FATAL(sym_copy(SYM_DIR "/inline_prog.linked", prog) == 0);
  CU_ASSERT_FATAL(sym_copy(SYM_DIR "/inline_stale.debug", dbg) == 0);
  CU_ASSERT_FATAL(sym_build_id(prog, id, sizeof(id)) == 0);
  snprintf(dbg, sizeof(dbg), "%s/root/.build-id/%.2s/%s.debug", tmp, id,
           id + 2);
  CU_ASSERT_FATAL(sym_copy(SYM_DIR "/inline_stale.debug", dbg) == 0);
  snprintf(dirs, sizeof(dirs), "LIBPROF_DEBUG_DIRS=%s/root", tmp);
  char *argv[] = {prog, "1.5", NULL}, *env[] = {dirs, NULL};
  profile(argv, env, &p);
  check_raw_outer(&p, "inline_prog.linked");
  sym_free(&p);
}

/* Fully stripped, no debug file anywhere: module+0xoffset of the
 * function's start, from .eh_frame_hdr. */
static void test_stripped(void) {
  char prog[4200], dirs[4400];
  struct sym_profile p;
  fresh_out();
  snprintf(prog, sizeof(prog), "%s/inline_prog.stripped", SYM_DIR);
  snprintf(dirs, sizeof(dirs), "LIBPROF_DEBUG_DIRS=%s", tmp);
  char *argv[] = {prog, "1.5", NULL}, *env[] = {dirs, NULL};
  profile(argv, env, &p);
  check_raw_outer(&p, "inline_prog.stripped");
  sym_free(&p);
}

static int dynsym_chain(const struct sym_profile *p, const struct sym_stack *s,
                        const void *arg) {
  const struct sym_frame *o = sym_from_leaf(p, s, 0);
  return frame_is(o, "outer", NULL, -1, 0, 0) && !o->file && o->line == 0 &&
         frame_is(sym_from_leaf(p, s, 1), "main", NULL, -1, 0, 0);
}

/* Fully stripped but built -rdynamic: .dynsym names, no lines. */
static void test_dynsym(void) {
  char prog[4200];
  struct sym_profile p;
  fresh_out();
  snprintf(prog, sizeof(prog), "%s/inline_dynsym.stripped", SYM_DIR);
  char *argv[] = {prog, "1.5", NULL};
  profile(argv, NULL, &p);
  expect_share(&p, ".dynsym main > outer", sym_share(&p, dynsym_chain, NULL),
               0.8, 1.0);
  sym_free(&p);
}

/* Fully stripped, with MiniDebugInfo (.gnu_debugdata: an xz-compressed
 * .symtab, made the way gdb's manual describes): its names, no lines. */
static void test_minidebug(void) {
  char prog[4200], dirs[4400];
  struct sym_profile p;
  fresh_out();
  snprintf(prog, sizeof(prog), "%s/inline_prog.mini", SYM_DIR);
  snprintf(dirs, sizeof(dirs), "LIBPROF_DEBUG_DIRS=%s", tmp);
  char *argv[] = {prog, "1.5", NULL}, *env[] = {dirs, NULL};
  profile(argv, env, &p);
  expect_share(&p, "MiniDebugInfo main > outer",
               sym_share(&p, dynsym_chain, NULL), 0.8, 1.0);
  sym_free(&p);
}

/* ---- unloaded plugins ------------------------------------------------- */

struct burn {
  const char *fn, *caller, *file, *marker;
  int need_line;
};

static int burn_leaf(const struct sym_profile *p, const struct sym_stack *s,
                     const void *arg) {
  const struct burn *b = arg;
  long l = sym_marker_line(b->file, b->marker);
  const char *file = b->need_line ? b->file : NULL;
  return frame_is(sym_from_leaf(p, s, 0), b->fn, file,
                  b->need_line ? l - 1 : -1, l, 0) &&
         frame_is(sym_from_leaf(p, s, 1), b->caller, file, -1, 0, 0);
}

static int bad_plugin_name(const char *n) {
  return strcmp(n, "plugin_b_pad") == 0 || strcmp(n, "[unknown]") == 0 ||
         strstr(n, "plugin_a.so+") || strstr(n, "plugin_b.so+") ||
         strstr(n, "plugin.so+");
}

static void check_plugins(const struct sym_profile *p, int a_lines) {
  struct burn a = {"plugin_a_burn", "plugin_run", SRC("plugin_a.c"),
                   "PLUGIN_A_LINE", a_lines};
  struct burn b = {"plugin_b_burn", "plugin_run", SRC("plugin_b.c"),
                   "PLUGIN_B_LINE", 1};
  struct burn h = {"host_burn", "main", SRC("plugin_host.c"), "HOST_LINE", 1};
  expect_share(p, "plugin A", sym_share(p, burn_leaf, &a), 0.40, 0.60);
  expect_share(p, "plugin B", sym_share(p, burn_leaf, &b), 0.15, 0.35);
  expect_share(p, "host", sym_share(p, burn_leaf, &h), 0.15, 0.35);
  const char *bad = sym_any_name(p, bad_plugin_name);
  if (bad)
    fprintf(stderr, "\nwrong frame name in the profile: %s\n", bad);
  CU_ASSERT_PTR_NULL(bad);
}

static void test_plugin(void) {
  struct sym_profile p;
  fresh_out();
  char *argv[] = {SYM_HOST, "2", SYM_PLUGIN_A, SYM_PLUGIN_B, NULL};
  profile(argv, NULL, &p);
  check_plugins(&p, 1);
  sym_free(&p);
}

/* Plugin A's file is replaced on disk (by plugin B's) after its unload. */
static void test_replaced(void) {
  char a[4400], repl[4400];
  struct sym_profile p;
  fresh_out();
  snprintf(a, sizeof(a), "%s/plugin.so", tmp);
  snprintf(repl, sizeof(repl), "%s/replacement.so", tmp);
  CU_ASSERT_FATAL(sym_copy(SYM_PLUGIN_A, a) == 0);
  CU_ASSERT_FATAL(sym_copy(SYM_PLUGIN_B, repl) == 0);
  char *argv[] = {SYM_HOST, "2", a, SYM_PLUGIN_B, repl, NULL};
  profile(argv, NULL, &p);
  check_plugins(&p, 1);
  sym_free(&p);
}

/* ---- libc's static functions (libc6-dbg) ------------------------------ */

/* ... main > qsort_r > msort_with_tmp (one or more) > cmp_slow. */
static int msort_chain(const struct sym_profile *p, const struct sym_stack *s,
                       const void *arg) {
  const char *file = SRC("qsort_prog.c");
  long c = sym_marker_line(file, "CMP_LINE");
  long q = sym_marker_line(file, "QSORT_LINE");
  size_t i = 1;
  if (!frame_is(sym_from_leaf(p, s, 0), "cmp_slow", file, c - 1, c, 0))
    return 0;
  for (; i < s->n; i++) {
    const struct sym_frame *f = sym_from_leaf(p, s, i);
    const char *base = f->file ? strrchr(f->file, '/') : NULL;
    if (strcmp(f->name, "msort_with_tmp") != 0 || !base ||
        strcmp(base, "/msort.c") != 0)
      break;
  }
  return i > 1 && frame_is(sym_from_leaf(p, s, i), "qsort_r", NULL, -1, 0, 0) &&
         frame_is(sym_from_leaf(p, s, i + 1), "main", file, q, q, 0);
}

static void test_libc(void) {
  Dl_info info;
  char id[130], dbg[4400];
  CU_ASSERT_FATAL(dladdr((void *)qsort, &info) && info.dli_fname);
  CU_ASSERT_FATAL(sym_build_id(info.dli_fname, id, sizeof(id)) == 0);
  snprintf(dbg, sizeof(dbg), "/usr/lib/debug/.build-id/%.2s/%s.debug", id,
           id + 2);
  if (access(dbg, R_OK) != 0)
    fprintf(stderr, "\n%s is missing: install libc6-dbg\n", dbg);
  CU_ASSERT_FATAL(access(dbg, R_OK) == 0);
  struct sym_profile p;
  fresh_out();
  char *argv[] = {SYM_QSORT, "1.5", NULL};
  profile(argv, NULL, &p);
  expect_share(&p, "main > qsort_r > msort_with_tmp > cmp_slow",
               sym_share(&p, msort_chain, NULL), 0.7, 1.0);
  sym_free(&p);
}

/* ---- C++ -------------------------------------------------------------- */

/* Lines of file containing needle. */
static int count_lines(const char *file, const char *needle) {
  FILE *f = fopen(file, "r");
  char line[1024];
  int n = 0;
  while (f && fgets(line, sizeof(line), f))
    n += strstr(line, needle) != NULL;
  if (f)
    fclose(f);
  return n;
}

/* LIBPROF_CACHE_DIR in real runs: qsort_prog twice with a cache (the
 * second one names libc's PCs from it), then with the cache dir a
 * symlink: one line in the log, and the run profiled as without cache. */
static void test_cache_runs(void) {
  char dir[4200], link[4200], log[4200], env[3][4300];
  struct sym_profile p;
  char *argv[] = {SYM_QSORT, "0.8", NULL};
  fresh_out();
  snprintf(dir, sizeof(dir), "%s/cache", tmp);
  snprintf(env[0], sizeof(env[0]), "LIBPROF_CACHE_DIR=%s", dir);
  char *envp[] = {env[0], NULL};
  for (int run = 0; run < 2; run++) { /* cold, then warm */
    profile(argv, envp, &p);
    expect_share(&p, "main > qsort_r > msort_with_tmp > cmp_slow",
                 sym_share(&p, msort_chain, NULL), 0.7, 1.0);
    sym_free(&p);
  }
  Dl_info info;
  char id[130], file[4400];
  CU_ASSERT_FATAL(dladdr((void *)qsort, &info) && info.dli_fname);
  CU_ASSERT_FATAL(sym_build_id(info.dli_fname, id, sizeof(id)) == 0);
  snprintf(file, sizeof(file), "%s/%s.sym", dir, id);
  CU_ASSERT(access(file, R_OK) == 0); /* libc's, read by the second run */
  snprintf(link, sizeof(link), "%s/link", tmp);
  snprintf(log, sizeof(log), "%s/log", tmp);
  CU_ASSERT_FATAL(symlink(dir, link) == 0);
  snprintf(env[1], sizeof(env[1]), "LIBPROF_CACHE_DIR=%s", link);
  snprintf(env[2], sizeof(env[2]), "LIBPROF_LOG=%s", log);
  char *bad[] = {env[1], env[2], NULL};
  profile(argv, bad, &p);
  expect_share(&p, "main > qsort_r > msort_with_tmp > cmp_slow",
               sym_share(&p, msort_chain, NULL), 0.7, 1.0);
  sym_free(&p);
  CU_ASSERT_EQUAL(count_lines(log, "LIBPROF_CACHE_DIR"), 1);
  CU_ASSERT_EQUAL(count_lines(log, "is a symlink"), 1);
}

static int cxx_chain(const struct sym_profile *p, const struct sym_stack *s,
                     const void *arg) {
  const char *file = SRC("cxx_prog.cpp");
  long m = sym_marker_line(file, "METHOD_LINE"),
       c = sym_marker_line(file, "CALL_LINE");
  return frame_is(sym_from_leaf(p, s, 0), "ns::Class::method(int)", file,
                  m - 1, m, 0) &&
         frame_is(sym_from_leaf(p, s, 1), "main", file, c, c, 0);
}

static void test_cxx(void) {
  struct sym_profile p;
  fresh_out();
  char *argv[] = {SYM_CXX, "1.5", NULL};
  profile(argv, NULL, &p);
  expect_share(&p, "main > ns::Class::method(int)",
               sym_share(&p, cxx_chain, NULL), 0.8, 1.0);
  sym_free(&p);
}

/* ---- unit: demangling, debug roots, resolving our own code ------------ */

static void test_demangle(void) {
  char buf[512];
  struct {
    const char *in, *out;
  } rust[] = {
      {"_ZN4core3fmt5write17h0123456789abcdefE", "core::fmt::write"},
      {"_ZN70_$LT$alloc..vec..Vec$LT$T$C$A$GT$$u20$as$u20$core..ops..drop.."
       "Drop$GT$4drop17h1234567890abcdefE",
       "<alloc::vec::Vec<T,A> as core::ops::drop::Drop>::drop"},
      {"_ZN3foo3bar17h0123456789abcdefE.llvm.1234", "foo::bar"}};
  for (size_t i = 0; i < sizeof(rust) / sizeof(rust[0]); i++) {
    CU_ASSERT_EQUAL(prof__demangle_rust_legacy(rust[i].in, buf, sizeof(buf)),
                    0);
    CU_ASSERT_STRING_EQUAL(buf, rust[i].out);
  }
  /* C++ (no hash segment) is not Rust. */
  CU_ASSERT_EQUAL(prof__demangle_rust_legacy("_ZN2ns5Class6methodEi", buf,
                                             sizeof(buf)), -1);
  struct prof__demangler *d = prof__demangler_new();
  CU_ASSERT_FATAL(d != NULL);
  CU_ASSERT_STRING_EQUAL(prof__demangle(d, "msort_with_tmp.part.0"),
                         "msort_with_tmp");
  CU_ASSERT_STRING_EQUAL(prof__demangle(d, "foo.isra.0.cold"), "foo");
  CU_ASSERT_STRING_EQUAL(prof__demangle(d, "clock_gettime@@GLIBC_2.17"),
                         "clock_gettime");
  CU_ASSERT_STRING_EQUAL(prof__demangle(d, "a.b"), "a.b");
  CU_ASSERT_STRING_EQUAL(prof__demangle(d, "_RNvC6_123foo3bar"),
                         "_RNvC6_123foo3bar"); /* v0 stays raw */
  CU_ASSERT_STRING_EQUAL(
      prof__demangle(d, "_ZN4core3fmt5write17h0123456789abcdefE"),
      "core::fmt::write");
  prof__demangler_free(d);
}

static void test_roots(void) {
  char **r = prof__debug_roots("/a::/b/c");
  CU_ASSERT_FATAL(r != NULL);
  CU_ASSERT_STRING_EQUAL(r[0], "/a");
  CU_ASSERT_STRING_EQUAL(r[1], "/b/c");
  CU_ASSERT_STRING_EQUAL(r[2], "/usr/lib/debug");
  CU_ASSERT_PTR_NULL(r[3]);
  free(r);
  r = prof__debug_roots(NULL);
  CU_ASSERT_FATAL(r != NULL);
  CU_ASSERT_STRING_EQUAL(r[0], "/usr/lib/debug");
  CU_ASSERT_PTR_NULL(r[1]);
  free(r);
}

/* A return address inside an always_inline helper resolves, through
 * pc - 1, to the call's own line, with the helper inlined into its
 * caller at the caller's line. */
static volatile uintptr_t unit_ra;

__attribute__((noinline)) static void unit_capture(void) {
  unit_ra = (uintptr_t)__builtin_return_address(0);
  __asm__ volatile("");
}

static inline __attribute__((always_inline)) void unit_inl(void) {
  unit_capture(); /* UNIT_INL_LINE */
  __asm__ volatile("");
}

__attribute__((noinline)) void unit_outer(void);
__attribute__((noinline)) void unit_outer(void) {
  unit_inl(); /* UNIT_OUTER_LINE */
  __asm__ volatile("");
}

struct got {
  int n;
  char name[4][128];
  char file[4][512];
  uint32_t line[4];
  int inlined[4];
};

static int unit_take(void *arg, const struct prof__symframe *f) {
  struct got *g = arg;
  if (g->n < 4) {
    snprintf(g->name[g->n], sizeof(g->name[0]), "%s", f->name);
    snprintf(g->file[g->n], sizeof(g->file[0]), "%s", f->file ? f->file : "");
    g->line[g->n] = f->line;
    g->inlined[g->n] = f->inlined;
  }
  g->n++;
  return 0;
}

static void test_resolve_self(void) {
  const char *file = SRC("test_symbols.c");
  unit_outer();
  struct prof__modules *ms = prof__modules_new();
  CU_ASSERT_FATAL(ms != NULL);
  const struct prof__module *m = prof__modules_find(ms, unit_ra - 1);
  struct prof__natsym *ns = prof__natsym_new(ms, NULL, NULL);
  CU_ASSERT_FATAL(m != NULL && ns != NULL);
  struct got g = {0};
  prof__natsym_resolve_in(ns, m, unit_ra, 1, unit_take, &g);
  CU_ASSERT_EQUAL(g.n, 2);
  CU_ASSERT_STRING_EQUAL(g.name[0], "unit_inl");
  CU_ASSERT_STRING_EQUAL(g.file[0], file);
  CU_ASSERT_EQUAL(g.line[0], sym_marker_line(file, "UNIT_INL_LINE"));
  CU_ASSERT_EQUAL(g.inlined[0], 1);
  CU_ASSERT_STRING_EQUAL(g.name[1], "unit_outer");
  CU_ASSERT_STRING_EQUAL(g.file[1], file);
  CU_ASSERT_EQUAL(g.line[1], sym_marker_line(file, "UNIT_OUTER_LINE"));
  CU_ASSERT_EQUAL(g.inlined[1], 0);
  /* Outside any module: "[unknown]". */
  g.n = 0;
  prof__natsym_resolve_in(ns, NULL, 16, 0, unit_take, &g);
  CU_ASSERT(g.n == 1 && strcmp(g.name[0], "[unknown]") == 0);
  prof__natsym_free(ns);
  prof__modules_free(ms);
}

int main(int argc, char **argv) {
  static const struct {
    const char *name;
    CU_TestFunc fn[4];
  } cases[] = {
      {"unit", {test_demangle, test_roots, test_resolve_self}},
      {"inline", {test_inline}},
      {"build_id", {test_build_id}},
      {"debuglink", {test_debuglink}},
      {"stale", {test_stale}},
      {"stripped", {test_stripped}},
      {"minidebug", {test_minidebug}},
      {"dynsym", {test_dynsym}},
      {"plugin", {test_plugin}},
      {"replaced", {test_replaced}},
      {"libc", {test_libc}},
      {"cxx", {test_cxx}},
      {"cache", {test_symcache_reuse}},
      {"cache_runs", {test_cache_runs}},
      {"cache_build_id", {test_symcache_build_id}},
      {"cache_dir", {test_symdisk}},
      {"cache_dir_refused", {test_symdisk_refused}}};
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 2;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    if (argc > 1 && strcmp(argv[1], cases[i].name) != 0)
      continue;
    CU_pSuite s = CU_add_suite(cases[i].name, NULL, NULL);
    for (int k = 0; k < 4 && cases[i].fn[k]; k++)
      CU_add_test(s, cases[i].name, cases[i].fn[k]);
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures();
  unsigned ran = CU_get_number_of_tests_run();
  CU_cleanup_registry();
  if (tmp[0] && !failed)
    sym_rmtree(tmp); /* kept for a look when the case failed */
  return failed || ran == 0 ? 1 : 0;
}
