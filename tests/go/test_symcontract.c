/* libprof's own symbolizer calls follow Go's contract (runtime.
 * SetCgoTraceback): all fields 0 on the first call of a traceback, then
 * each call sees exactly what the previous one left, except pc when
 * `more` was 0; pc == 0 ends it. The runtime here relies on that as a Go
 * symbolizer may: it tells a continuation from a new PC by `more` alone,
 * and keeps its frame index in `data`. A libprof that resets a field
 * between calls loops it at frame 0 (cut at 64) and fails these tests. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cu_suite.h"
#include "libprof.h"
#include "ssread.h"
#include "trt.h"

#define FRAMES 3 /* answers per PC: two inlined, one physical */

static int conf;
static const uintptr_t *cur_pcs; /* what the traceback reports now */
static struct prof_symbolizer_arg last; /* as the symbolizer returned it */
static int fresh = 1;                   /* the next call starts a traceback */
static long violations, calls, ends;
static char names[16][FRAMES][16];

static void conf_traceback(void *p) {
  struct prof_traceback_arg *a = p;
  uintptr_t i = 0;
  for (; i < a->max && cur_pcs[i]; i++)
    a->buf[i] = cur_pcs[i];
  if (i < a->max)
    a->buf[i] = 0;
}

/* The fields libprof must have kept: all but pc, and pc too while more. */
static int kept(const struct prof_symbolizer_arg *a) {
  return a->file == last.file && a->lineno == last.lineno &&
         a->func == last.func && a->entry == last.entry &&
         a->more == last.more && a->data == last.data &&
         (!last.more || a->pc == last.pc);
}

static void conf_symbolizer(void *p) {
  struct prof_symbolizer_arg *a = p;
  struct prof_symbolizer_arg zero = {.pc = a->pc};
  calls++;
  if (fresh ? memcmp(a, &zero, sizeof(zero)) != 0 : !kept(a))
    violations++;
  fresh = 0;
  if (a->pc == 0) {
    ends++;
    fresh = 1;
    return;
  }
  uintptr_t k = a->more ? a->data : 0; /* relies on the kept fields */
  a->func = k < FRAMES ? names[a->pc / 16 % 16][k] : "beyond";
  a->file = "conf.src";
  a->lineno = a->pc + k;
  a->entry = a->pc;
  a->more = k + 1 < FRAMES;
  a->data = k + 1;
  last = *a;
}

static struct ss_profile prof;

static void test_frames_expand(void) {
  const struct ss_thread *t = ss_thread(&prof, "contract");
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  int one = 0, two = 0;
  char buf[4096];
  for (size_t i = 0; i < t->n; i++) {
    const char *s = ss_join(&t->stacks[i], 0, buf, sizeof(buf));
    one += strstr(s, "m2_2 > m2_1 > m2_0 > m1_2 > m1_1 > m1_0") != NULL &&
           ss_find(&t->stacks[i], "beyond") < 0;
    two += strstr(s, "m3_2 > m3_1 > m3_0 > m2_2 > m2_1 > m2_0") != NULL;
  }
  CU_ASSERT_EQUAL(one, 1);
  CU_ASSERT_EQUAL(two, 1);
}

static void test_fields_kept(void) {
  CU_ASSERT(calls >= 3 * FRAMES + 1);
  CU_ASSERT_EQUAL(violations, 0);
  CU_ASSERT_EQUAL(ends, 1);
}

int main(void) {
  static const uintptr_t first[] = {0x10, 0x20, 0}, second[] = {0x20, 0x30, 0};
  char path[128];
  for (int i = 0; i < 16; i++)
    for (int k = 0; k < FRAMES; k++)
      snprintf(names[i][k], sizeof(names[i][k]), "m%d_%d", i, k);
  snprintf(path, sizeof(path), "/tmp/libprof-symcontract-%d.json", getpid());
  struct prof_options o = {.out = path, .hz = 1, .quiet = 1};
  conf = prof_runtime_register(0, "conf", conf_traceback, NULL,
                               conf_symbolizer);
  if (conf < 0 || prof_start(&o) != 0)
    return 1;
  pthread_setname_np(pthread_self(), "contract");
  prof_enter_managed(conf);
  cur_pcs = first;
  take_sample();
  cur_pcs = second;
  take_sample();
  prof_leave_managed(conf);
  if (prof_stop() != 0 || ss_load(path, &prof) != 0)
    return 1;
  unlink(path);
  static const struct cu_test tests[] = {
      {"inlined frames expand through kept fields", test_frames_expand},
      {"every call sees the fields as left", test_fields_kept},
  };
  int rc = cu_run_suite("symbolizer contract", tests, CU_COUNT(tests));
  ss_free(&prof);
  return rc;
}
