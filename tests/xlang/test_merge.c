/* Deterministic merge tests: known call chains across the language
 * boundary, a sample taken synchronously at a known point, and the exact
 * merged stack asserted frame by frame from the written profile. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cu_suite.h"
#include "libprof.h"
#include "ssread.h"
#include "trt.h"

#define NOINLINE __attribute__((noinline))
#define KEEP() __asm__ volatile("" ::: "memory")

static char out_path[256];
static struct ss_profile prof;

NOINLINE static void c_leaf(void) { take_sample(); KEEP(); }
NOINLINE static void body_take(void) { take_sample(); KEEP(); }
NOINLINE static void body_leaf_a(void) { native_call(trt.a, c_leaf); KEEP(); }
NOINLINE static void body_cmp(void) { native_call(trt.a, c_leaf); KEEP(); }
NOINLINE static void c_sort(void) { run_managed(trt.a, trt_pc("m_cmp"), body_cmp); KEEP(); }
NOINLINE static void c_sort2(void) { run_managed(trt.a, trt_pc("m_cmp"), body_take); KEEP(); }
NOINLINE static void body_f(void) { native_call(trt.a, c_sort); KEEP(); }
NOINLINE static void body_f2(void) { native_call(trt.a, c_sort2); KEEP(); }
NOINLINE static void body_bh(void) { native_call(trt.b, c_leaf); KEEP(); }
NOINLINE static void body_bg(void) { call_managed(trt_pc("b_h"), body_bh); KEEP(); }
NOINLINE static void c_mid(void) { run_managed(trt.b, trt_pc("b_g"), body_bg); KEEP(); }
NOINLINE static void body_a(void) { native_call(trt.a, c_mid); KEEP(); }
NOINLINE static void body_nc(void) { native_call(trt.noctx, c_leaf); KEEP(); }

NOINLINE static void sc_c_m(void) { run_managed(trt.a, trt_pc("m_f"), body_take); KEEP(); }
NOINLINE static void sc_c_m_c(void) { run_managed(trt.a, trt_pc("m_f"), body_leaf_a); KEEP(); }
NOINLINE static void sc_five(void) { run_managed(trt.a, trt_pc("m_f"), body_f); KEEP(); }
NOINLINE static void sc_inner_m(void) { run_managed(trt.a, trt_pc("m_f"), body_f2); KEEP(); }
NOINLINE static void sc_two(void) { run_managed(trt.a, trt_pc("a_f"), body_a); KEEP(); }
NOINLINE static void sc_inl(void) { run_managed(trt.inl, trt_pc("m_outer"), body_take); KEEP(); }
NOINLINE static void sc_greedy(void) { run_managed(trt.greedy, trt_pc("m_g"), body_take); KEEP(); }
NOINLINE static void sc_noctx(void) { run_managed(trt.noctx, trt_pc("m_f"), body_nc); KEEP(); }

struct scenario {
  const char *thread;
  void (*fn)(void);
};

/* Scenario threads stay alive until the profile is written, so their
 * names are still readable then. */
static pthread_barrier_t done, written;

NOINLINE static void *scenario_thread(void *arg) {
  const struct scenario *s = arg;
  pthread_setname_np(pthread_self(), s->thread);
  s->fn();
  KEEP();
  pthread_barrier_wait(&done);
  pthread_barrier_wait(&written);
  return NULL;
}

/* A thread that names itself, is sampled once and exits at once. */
NOINLINE static void *short_thread(void *arg) {
  pthread_setname_np(pthread_self(), "shortlived");
  sc_c_m();
  KEEP();
  return arg;
}

static const struct scenario scenarios[] = {
    {"c_m", sc_c_m},     {"c_m_c", sc_c_m_c}, {"five", sc_five},
    {"inner_m", sc_inner_m}, {"two", sc_two}, {"inl", sc_inl},
    {"greedy", sc_greedy}, {"noctx", sc_noctx}};

/* The one stack of thread `name` that went through scenario function fn. */
static const struct ss_stack *sampled(const char *name, const char *fn) {
  const struct ss_thread *t = ss_thread(&prof, name);
  const struct ss_stack *found = NULL;
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  for (size_t i = 0; i < t->n; i++)
    if (ss_find(&t->stacks[i], fn) >= 0) {
      CU_ASSERT_PTR_NULL(found); /* exactly one sample went through fn */
      found = &t->stacks[i];
    }
  CU_ASSERT_PTR_NOT_NULL_FATAL(found);
  return found;
}

/* Asserts the stack from scenario_thread to the leaf, frame by frame. */
static const struct ss_stack *expect(const char *thread, const char *fn,
                                     const char *want) {
  const struct ss_stack *s = sampled(thread, fn);
  char got[8192];
  int from = ss_find(s, "scenario_thread");
  CU_ASSERT_FATAL(from >= 0);
  ss_join(s, (size_t)from, got, sizeof(got));
  CU_ASSERT_STRING_EQUAL(got, want);
  if (strcmp(got, want) != 0)
    fprintf(stderr, "\n  want: %s\n  got:  %s\n", want, got);
  return s;
}

static void test_exited_thread_named(void) {
  const struct ss_stack *s = sampled("shortlived", "sc_c_m");
  char got[1024];
  ss_join(s, (size_t)ss_find(s, "short_thread"), got, sizeof(got));
  CU_ASSERT_STRING_EQUAL(got, "short_thread > sc_c_m > run_managed > m_f");
}

static const char *runtime_of(const struct ss_stack *s, const char *name) {
  int i = ss_find(s, name);
  return i < 0 ? "(absent)" : s->frames[i].runtime;
}

static void test_c_m(void) {
  const struct ss_stack *s = expect("c_m", "sc_c_m",
      "scenario_thread > sc_c_m > run_managed > m_f");
  CU_ASSERT_STRING_EQUAL(runtime_of(s, "m_f"), "rtA");
  CU_ASSERT_STRING_EQUAL(runtime_of(s, "run_managed"), "native");
  int i = ss_find(s, "m_f");
  CU_ASSERT_STRING_EQUAL(s->frames[i].file, "test.trt");
}

static void test_c_m_c(void) {
  expect("c_m_c", "sc_c_m_c",
         "scenario_thread > sc_c_m_c > run_managed > m_f > c_leaf > take_sample");
}

static void test_five_levels(void) {
  expect("five", "sc_five",
         "scenario_thread > sc_five > run_managed > m_f > c_sort > "
         "run_managed > m_cmp > c_leaf > take_sample");
}

static void test_inner_managed_leaf(void) {
  expect("inner_m", "sc_inner_m",
         "scenario_thread > sc_inner_m > run_managed > m_f > c_sort2 > "
         "run_managed > m_cmp");
}

static void test_two_runtimes(void) {
  const struct ss_stack *s = expect("two", "sc_two",
      "scenario_thread > sc_two > run_managed > a_f > c_mid > run_managed > "
      "b_g > b_h > c_leaf > take_sample");
  CU_ASSERT_STRING_EQUAL(runtime_of(s, "a_f"), "rtA");
  CU_ASSERT_STRING_EQUAL(runtime_of(s, "b_g"), "rtB");
  CU_ASSERT_STRING_EQUAL(runtime_of(s, "b_h"), "rtB");
  CU_ASSERT_STRING_EQUAL(runtime_of(s, "c_mid"), "native");
}

static void test_symbolizer_more(void) {
  const struct ss_stack *s = expect("inl", "sc_inl",
      "scenario_thread > sc_inl > run_managed > m_outer > inl_inner");
  CU_ASSERT_EQUAL(s->frames[ss_find(s, "inl_inner")].inlined, 1);
  CU_ASSERT_EQUAL(s->frames[ss_find(s, "m_outer")].inlined, 0);
}

static void test_traceback_fills_max(void) {
  const struct ss_stack *s = sampled("greedy", "sc_greedy");
  size_t greedy = 0;
  for (size_t i = 0; i < s->n; i++)
    greedy += strcmp(s->frames[i].name, "greedy") == 0;
  CU_ASSERT_EQUAL(greedy, 256); /* cut at max, nothing past it read */
  CU_ASSERT_STRING_EQUAL(s->frames[0].name, "[truncated]");
  CU_ASSERT_STRING_EQUAL(s->frames[s->n - 1].name, "greedy");
  CU_ASSERT_STRING_EQUAL(s->frames[s->n - 257].name, "run_managed");
}

static void test_null_context_hook(void) {
  expect("noctx", "sc_noctx",
         "scenario_thread > sc_noctx > run_managed > m_f > c_leaf > take_sample");
}

static void test_hook_bookkeeping(void) {
  struct trt_counts c;
  trt_counts(&c);
  CU_ASSERT(c.ctx_alloc >= 6); /* every enter_native of a ctx runtime */
  CU_ASSERT_EQUAL(c.ctx_alloc, c.ctx_release);
  CU_ASSERT_EQUAL(c.ctx_bad_release, 0);
  CU_ASSERT(c.sym_end_calls >= 4); /* one pc == 0 per runtime batch */
}

static void test_register_errors(void) {
  CU_ASSERT_EQUAL(prof_runtime_register(1, "x", (void (*)(void *))abort,
                                        NULL, NULL), PROF_EVERSION);
  CU_ASSERT_EQUAL(prof_runtime_register(0, "native", (void (*)(void *))abort,
                                        NULL, NULL), PROF_EINVAL);
  CU_ASSERT_EQUAL(prof_runtime_register(0, "", (void (*)(void *))abort, NULL,
                                        NULL), PROF_EINVAL);
  CU_ASSERT_EQUAL(prof_runtime_register(0, "x", NULL, NULL, NULL), PROF_EINVAL);
  int last = 0, n = 0;
  while ((last = prof_runtime_register(0, "filler", (void (*)(void *))abort,
                                       NULL, NULL)) >= 0)
    n++;
  CU_ASSERT_EQUAL(last, PROF_ETOOMANY);
  CU_ASSERT(n + 5 >= 8); /* at least 8 runtimes at once */
  CU_ASSERT_STRING_EQUAL(prof_strerror(PROF_ETOOMANY),
                         "too many runtimes registered");
}

static struct ss_profile keep_prof;

/* A second session with LIBPROF_KEEP_INTERNALS=1: the interpreter frames
 * the merge rule drops are kept, between the native caller of the managed
 * code and the managed frames. */
static void test_keep_internals(void) {
  const struct scenario sc = {"keep", sc_c_m_c};
  char path[256], got[4096];
  pthread_t t;
  snprintf(path, sizeof(path), "/tmp/libprof-keep-%d.json", getpid());
  setenv("LIBPROF_KEEP_INTERNALS", "1", 1);
  struct prof_options o = {.out = path, .hz = 1, .quiet = 1};
  CU_ASSERT_EQUAL_FATAL(prof_start(&o), 0);
  pthread_barrier_init(&done, NULL, 2);
  pthread_barrier_init(&written, NULL, 2);
  pthread_create(&t, NULL, scenario_thread, (void *)&sc);
  pthread_barrier_wait(&done);
  CU_ASSERT_EQUAL(prof_stop(), 0);
  pthread_barrier_wait(&written);
  pthread_join(t, NULL);
  unsetenv("LIBPROF_KEEP_INTERNALS");
  CU_ASSERT_EQUAL_FATAL(ss_load(path, &keep_prof), 0);
  unlink(path);
  const struct ss_thread *th = ss_thread(&keep_prof, "keep");
  CU_ASSERT_PTR_NOT_NULL_FATAL(th);
  const struct ss_stack *s = NULL;
  for (size_t i = 0; i < th->n; i++)
    if (ss_find(&th->stacks[i], "sc_c_m_c") >= 0)
      s = &th->stacks[i];
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  ss_join(s, (size_t)ss_find(s, "scenario_thread"), got, sizeof(got));
  const char *want = "scenario_thread > sc_c_m_c > run_managed > interp > "
                     "body_leaf_a > native_call > m_f > c_leaf > take_sample";
  CU_ASSERT_STRING_EQUAL(got, want);
  if (strcmp(got, want) != 0)
    fprintf(stderr, "\n  want: %s\n  got:  %s\n", want, got);
  ss_free(&keep_prof);
}

static int run_scenarios(void) {
  struct prof_options o = {0};
  snprintf(out_path, sizeof(out_path), "/tmp/libprof-merge-%d.json", getpid());
  o.out = out_path;
  o.hz = 1; /* the timer stays silent: only the raised samples count */
  o.quiet = 1;
  o.max_depth = 1024;
  trt_init();
  enum { N = sizeof(scenarios) / sizeof(scenarios[0]) };
  pthread_t t[N];
  pthread_barrier_init(&done, NULL, N + 1);
  pthread_barrier_init(&written, NULL, N + 1);
  if (prof_start(&o) != 0)
    return -1;
  for (size_t i = 0; i < N; i++)
    pthread_create(&t[i], NULL, scenario_thread, (void *)&scenarios[i]);
  pthread_t shortlived;
  pthread_create(&shortlived, NULL, short_thread, NULL);
  pthread_join(shortlived, NULL); /* gone long before the profile is written */
  pthread_barrier_wait(&done);
  int r = prof_stop();
  pthread_barrier_wait(&written);
  for (size_t i = 0; i < N; i++)
    pthread_join(t[i], NULL);
  if (r != 0 || ss_load(out_path, &prof) != 0)
    return -1;
  unlink(out_path);
  return 0;
}

int main(void) {
  if (run_scenarios() != 0) {
    fprintf(stderr, "profiling the scenarios failed\n");
    return 1;
  }
  static const struct cu_test tests[] = {
      {"C->M (thread in managed code)", test_c_m},
      {"C->M->C", test_c_m_c},
      {"C->M->C->M->C, 5 levels", test_five_levels},
      {"C->M->C->M, sample in inner managed", test_inner_managed_leaf},
      {"two runtimes interleaved", test_two_runtimes},
      {"symbolizer: two frames per PC via more", test_symbolizer_more},
      {"traceback fills max without a 0", test_traceback_fills_max},
      {"NULL context hook", test_null_context_hook},
      {"context and symbolizer bookkeeping", test_hook_bookkeeping},
      {"LIBPROF_KEEP_INTERNALS=1 keeps interpreter frames", test_keep_internals},
      {"prof_runtime_register errors", test_register_errors},
      {"a thread that exited early keeps its name", test_exited_thread_named},
  };
  int rc = cu_run_suite("merge", tests, CU_COUNT(tests));
  ss_free(&prof);
  return rc;
}
