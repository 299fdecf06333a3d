/* Misuse of the crossing functions: leave without enter, 10,000 nested
 * enters (far beyond the slice's capacity), runtime ids never registered,
 * a leave of the wrong kind. The program must keep running, contexts must
 * still balance, samples taken meanwhile must be marked truncated, and the
 * summary line must give the exact counts. */
#define _GNU_SOURCE
#include <fcntl.h>
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
#define DEEP 10000

static char summary[4096];
static struct ss_profile prof;

NOINLINE static void misuse_unmatched(void) {
  for (int i = 0; i < 3; i++)
    prof_leave_native(trt.a);
  for (int i = 0; i < 2; i++)
    prof_leave_managed(trt.a);
}

NOINLINE static void misuse_deep(void) {
  for (int i = 0; i < DEEP; i++) {
    prof_enter_managed(trt.a);
    prof_enter_native(trt.a);
  }
  take_sample(); /* inside the overflow: must be marked truncated */
  for (int i = 0; i < DEEP; i++) {
    prof_leave_native(trt.a);
    prof_leave_managed(trt.a);
  }
}

NOINLINE static void misuse_ids(void) {
  prof_enter_native(999);
  take_sample();
  prof_leave_native(999);
  prof_enter_managed(-5);
  prof_leave_managed(-5);
  prof_enter_managed(trt.a);
  prof_leave_native(trt.a); /* wrong kind: one mismatch, still balanced */
}

/* libprof writes its summary to LIBPROF_LOG (set before prof_start) or
 * to its own duplicate of the starting stderr, never to a later fd 2. */
static char log_path[] = "/tmp/libprof-misuse-err-XXXXXX";

static int stop_capturing(void) {
  int r = prof_stop();
  FILE *f = fopen(log_path, "r");
  size_t n = f ? fread(summary, 1, sizeof(summary) - 1, f) : 0;
  summary[n] = '\0';
  if (f)
    fclose(f);
  unlink(log_path);
  return r;
}

static void test_summary_counts(void) {
  printf("\n  %s", summary);
  CU_ASSERT_PTR_NOT_NULL(strstr(summary,
      "crossing misuses (5 unmatched leave, 19872 overflow, 1 mismatched, "
      "2 unknown runtime)"));
}

static void test_contexts_balance(void) {
  struct trt_counts c;
  trt_counts(&c);
  CU_ASSERT_EQUAL(c.ctx_alloc, 128 / 2); /* 2 x 10,000 enters, 128 recorded */
  CU_ASSERT_EQUAL(c.ctx_alloc, c.ctx_release);
  CU_ASSERT_EQUAL(c.ctx_bad_release, 0);
}

static void test_samples_marked(void) {
  const struct ss_thread *t = ss_thread(&prof, "misuse");
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  int deep = 0, ids = 0;
  for (size_t i = 0; i < t->n; i++) {
    const struct ss_stack *s = &t->stacks[i];
    int truncated = s->n && strcmp(s->frames[0].name, "[truncated]") == 0;
    if (ss_find(s, "misuse_deep") >= 0 || ss_find(s, "take_sample") >= 0) {
      CU_ASSERT(truncated);
      deep += ss_find(s, "misuse_deep") >= 0;
      ids += ss_find(s, "misuse_ids") >= 0;
    }
  }
  CU_ASSERT_EQUAL(ids, 1);
  CU_ASSERT(deep <= 1); /* the overflowed sample keeps only inner frames */
}

int main(void) {
  char path[128];
  snprintf(path, sizeof(path), "/tmp/libprof-misuse-%d.json", getpid());
  struct prof_options o = {.out = path, .hz = 1, .quiet = -1};
  trt_init();
  int lfd = mkstemp(log_path);
  if (lfd < 0)
    return 1;
  close(lfd);
  setenv("LIBPROF_LOG", log_path, 1);
  if (prof_start(&o) != 0)
    return 1;
  pthread_setname_np(pthread_self(), "misuse");
  misuse_unmatched();
  misuse_deep();
  misuse_ids();
  if (stop_capturing() != 0 || ss_load(path, &prof) != 0)
    return 1;
  unlink(path);
  static const struct cu_test tests[] = {
      {"summary counts each misuse", test_summary_counts},
      {"contexts still balance", test_contexts_balance},
      {"samples meanwhile are marked truncated", test_samples_marked},
  };
  int rc = cu_run_suite("misuse", tests, CU_COUNT(tests));
  ss_free(&prof);
  return rc;
}
