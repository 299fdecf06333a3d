/* What the readers refuse and what they keep exactly (issue 9): numbers a
 * profile cannot hold (totals over INT64_MAX, negative counts), absurd
 * depths, each with a clear error; and inputs that must survive a write
 * and a read-back unchanged (integer weights over 2^53, collapsed lines
 * starting with '[', bytes that are not UTF-8, a stack of no frames).
 * Several of these were found by the fuzz targets in fuzz/export. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/writers.h"
#include "libprof.h"
#include "test_export.h"

#define SS_HEAD "{\"$schema\":\"https://www.speedscope.app/file-format-" \
                "schema.json\",\"shared\":{\"frames\":[{\"name\":\"a\"}]}," \
                "\"profiles\":[{\"type\":\"sampled\",\"name\":\"p\",\"unit\"" \
                ":\"nanoseconds\",\"startValue\":0,\"endValue\":1,"

/* Reads text as a file; returns the model (NULL on error, message in err). */
static struct prof__model *read_text(const char *text, char *err,
                                     size_t errlen) {
  struct prof__model *m = NULL;
  char *p = strdup(tmp_path("limits.in"));
  write_all(p, text, strlen(text));
  err[0] = 0;
  prof__read_profile(p, &m, err, errlen);
  free(p);
  return m;
}

static void expect_refused(const char *text, const char *want) {
  char err[512];
  struct prof__model *m = read_text(text, err, sizeof(err));
  CU_ASSERT_PTR_NULL(m);
  if (m != NULL || strstr(err, want) == NULL)
    fprintf(stderr, "\n  expected \"%s\", got \"%s\"\n", want, err);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
  prof__model_free(m);
}

/* A line of n frames "f;f;...;f 1". */
static char *deep_line(size_t n) {
  char *s = malloc(2 * n + 8);
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    s[j++] = 'f';
    s[j++] = i + 1 < n ? ';' : ' ';
  }
  memcpy(s + j, "1\n", 3);
  return s;
}

static void test_limits(void) {
  expect_refused("a 9223372036854775807\nb 1\n", "more than a profile can");
  setenv("LIBPROF_COLLAPSED_WEIGHT", "ns", 1);
  expect_refused("a 9223372036854775807\nb 1\n", "more than a profile can");
  unsetenv("LIBPROF_COLLAPSED_WEIGHT");
  /* counts: 10^13 samples at the default 10 ms is 10^20 ns */
  expect_refused("a 10000000000000\n", "more than a profile can");
  char *deep = deep_line(9000);
  expect_refused(deep, "more than 8192 frames");
  free(deep);
  expect_refused(SS_HEAD "\"samples\":[[0]],\"weights\":[1],\"libprof\":"
                 "{\"counts\":[-1]}}]}", "counts[0]: not a non-negative");
  expect_refused(SS_HEAD "\"samples\":[[0],[0]],\"weights\":[9e18,9e18]}]}",
                 "more than a profile can");
  expect_refused("{\"name\":\"r\",\"value\":1,\"samples\":-3}",
                 "\"samples\" must be a non-negative integer");
  expect_refused("{\"name\":\"r\",\"value\":0,\"children\":["
                 "{\"name\":\"a\",\"value\":6e15},{\"name\":\"b\","
                 "\"value\":6e15}]}", "more than a profile can");
  /* 9000 nested opens */
  size_t n = 9000, j = 0;
  char *ev = malloc(n * 40 + 512);
  j += (size_t)sprintf(ev, "%s", SS_HEAD);
  memcpy(strstr(ev, "sampled"), "evented", 7);
  j += (size_t)sprintf(ev + j, "\"events\":[");
  for (size_t i = 0; i < n; i++)
    j += (size_t)sprintf(ev + j, "%s{\"type\":\"O\",\"frame\":0,\"at\":0}",
                         i ? "," : "");
  sprintf(ev + j, "]}]}");
  expect_refused(ev, "depth");
  free(ev);
}

/* text read, written as speedscope, read again and written again: both
 * writes must be equal and hold `want`. */
static void expect_kept(const char *text, const char *want) {
  char err[512];
  size_t len = 0;
  struct prof__model *m = read_text(text, err, sizeof(err));
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  char *a = export_mem(m, PROF__FMT_SPEEDSCOPE, 0, &len);
  struct prof__model *back = read_text(a, err, sizeof(err));
  CU_ASSERT_PTR_NOT_NULL_FATAL(back);
  char *b = export_mem(back, PROF__FMT_SPEEDSCOPE, 0, NULL);
  CU_ASSERT_STRING_EQUAL(a, b);
  if (strstr(a, want) == NULL)
    fprintf(stderr, "\n  \"%s\" not in:\n%s\n", want, a);
  CU_ASSERT_PTR_NOT_NULL(strstr(a, want));
  free(a);
  free(b);
  prof__model_free(m);
  prof__model_free(back);
}

static void test_kept_exactly(void) {
  expect_kept(SS_HEAD "\"samples\":[[0]],\"weights\":[1152921504606846977]}"
              "]}", "\"weights\":[1152921504606846977]");
  expect_kept("[truncated];main 5\n", "{\"name\":\"[truncated]\"");
  expect_kept("caf\xc3\xa9;b\xff 1\n", "caf\xc3\xa9");
  expect_kept("caf\xc3\xa9;b\xff 1\n", "b\xef\xbf\xbd");
  expect_kept("main (7) 3\n", "\"samples\":[\n[]]");
}

void add_limit_tests(void) {
  CU_pSuite s = CU_add_suite("reader limits", NULL, NULL);
  CU_add_test(s, "numbers and depths a profile cannot hold", test_limits);
  CU_add_test(s, "inputs kept exactly through a round trip",
              test_kept_exactly);
}
