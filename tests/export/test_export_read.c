/* Reader and prof_convert tests: round trips through every readable
 * format, foreign speedscope/d3/collapsed inputs, and malformed inputs
 * (clear one-line error, nonzero return, no output file). */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export/writers.h"
#include "fixture.h"
#include "libprof.h"
#include "test_export.h"

/* Writes the fixture in format f to a temporary file; returns its path
 * (malloc'd). */
static char *fixture_file(enum prof__format f, const char *name) {
  struct prof__model *m = fixture_model();
  char *p = strdup(tmp_path(name));
  CU_ASSERT_EQUAL(prof__export_file(m, f, NULL, p), 0);
  prof__model_free(m);
  return p;
}

/* Reads path and writes it back in format f; compares with `want`. */
static void expect_roundtrip(const char *path, enum prof__format f,
                             const char *want) {
  struct prof__model *m = NULL;
  char err[256] = "";
  int rc = prof__read_profile(path, &m, err, sizeof(err));
  if (rc != 0)
    fprintf(stderr, "\n%s\n", err);
  CU_ASSERT_EQUAL_FATAL(rc, 0);
  char *got = export_mem(m, f, 0, NULL);
  if (strcmp(got, want) != 0)
    fprintf(stderr, "\nround trip of %s differs:\n%s\n", path, got);
  CU_ASSERT_STRING_EQUAL(got, want);
  free(got);
  prof__model_free(m);
}

static void test_roundtrip_same_format(void) {
  static const struct {
    enum prof__format f;
    const char *name;
  } cases[] = {{PROF__FMT_SPEEDSCOPE, "rt.speedscope.json"},
               {PROF__FMT_D3, "rt.d3.json"},
               {PROF__FMT_COLLAPSED, "rt.folded"}};
  for (size_t i = 0; i < 3; i++) {
    char *p = fixture_file(cases[i].f, cases[i].name);
    char *want = read_all(p, NULL);
    expect_roundtrip(p, cases[i].f, want);
    free(want);
    free(p);
  }
}

/* speedscope -> pprof by prof_convert keeps mappings, build-ids,
 * addresses and inlining; only what speedscope merges (one function
 * sampled at several PCs) comes back as one location. */
static void test_convert_pprof(void) {
  char *in = fixture_file(PROF__FMT_SPEEDSCOPE, "cv.speedscope.json");
  char *out = strdup(tmp_path("cv.pb.gz"));
  char err[256] = "";
  CU_ASSERT_EQUAL_FATAL(prof_convert(in, out, NULL, err, sizeof(err)), 0);
  size_t len = 0;
  char *gz = read_all(out, &len);
  char *text = pprof_text(gz, len);
  check_golden("fixture_from_speedscope.pprof.txt", text);
  free(text);
  free(gz);
  free(in);
  free(out);
}

static int cmp_lines(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts the lines of s in place (a tree walk may order stacks
 * differently from the model's first-seen order). */
static void sort_lines(char *s) {
  char *lines[64], *copy = strdup(s), *save = NULL;
  size_t n = 0;
  for (char *l = strtok_r(copy, "\n", &save); l && n < 64;
       l = strtok_r(NULL, "\n", &save))
    lines[n++] = l;
  qsort(lines, n, sizeof(*lines), cmp_lines);
  s[0] = 0;
  for (size_t i = 0; i < n; i++) {
    strcat(s, lines[i]);
    strcat(s, "\n");
  }
  free(copy);
}

/* d3 and collapsed keep per-function self weights and counts: converting
 * speedscope -> d3 -> collapsed gives the fixture's collapsed stacks. */
static void test_convert_chain(void) {
  char *in = fixture_file(PROF__FMT_SPEEDSCOPE, "ch.speedscope.json");
  char *d3 = strdup(tmp_path("ch.d3.json"));
  char *col = strdup(tmp_path("ch.out"));
  char err[256] = "";
  CU_ASSERT_EQUAL(prof_convert(in, d3, NULL, err, sizeof(err)), 0);
  CU_ASSERT_EQUAL(prof_convert(d3, col, "collapsed", err, sizeof(err)), 0);
  char *got = read_all(col, NULL);
  struct prof__model *m = fixture_model();
  char *want = export_mem(m, PROF__FMT_COLLAPSED, 0, NULL);
  sort_lines(got);
  sort_lines(want);
  CU_ASSERT_STRING_EQUAL(got, want);
  free(got);
  free(want);
  prof__model_free(m);
  free(in);
  free(d3);
  free(col);
}

static struct prof__model *read_text(const char *name, const char *text,
                                     int *rc, char *err, size_t errlen) {
  struct prof__model *m = NULL;
  char *p = tmp_path(name);
  write_all(p, text, strlen(text));
  *rc = prof__read_profile(p, &m, err, errlen);
  return m;
}

static uint64_t total_weight(const struct prof__model *m) {
  uint64_t w = 0;
  for (size_t i = 0; i < m->nthreads; i++)
    for (size_t k = 0; k < m->threads[i].nsamples; k++)
      w += m->threads[i].samples[k].weight_ns;
  return w;
}

static void test_foreign_inputs(void) {
  char err[256] = "";
  int rc;
  /* speedscope from another tool: milliseconds, and an evented profile. */
  struct prof__model *m = read_text("foreign.json",
      "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\","
      "\"shared\":{\"frames\":[{\"name\":\"a\"},{\"name\":\"b\"}]},"
      "\"profiles\":[{\"type\":\"sampled\",\"name\":\"p\",\"unit\":"
      "\"milliseconds\",\"startValue\":0,\"endValue\":3,\"samples\":[[0,1],"
      "[0]],\"weights\":[1.5,1.5]},{\"type\":\"evented\",\"name\":\"e\","
      "\"unit\":\"nanoseconds\",\"startValue\":0,\"endValue\":10,\"events\":"
      "[{\"type\":\"O\",\"frame\":0,\"at\":0},{\"type\":\"O\",\"frame\":1,"
      "\"at\":4},{\"type\":\"C\",\"frame\":1,\"at\":10},{\"type\":\"C\","
      "\"frame\":0,\"at\":10}]}]}", &rc, err, sizeof(err));
  CU_ASSERT_EQUAL_FATAL(rc, 0);
  CU_ASSERT_EQUAL(m->nthreads, 2);
  CU_ASSERT_EQUAL(total_weight(m), 3000000 + 10);
  CU_ASSERT_STRING_EQUAL(m->threads[1].name, "e");
  prof__model_free(m);
  /* d3 from another tool: no "samples", values are sample counts. */
  m = read_text("foreign.d3.json", "{\"name\":\"root\",\"value\":5,"
      "\"children\":[{\"name\":\"x\",\"value\":3}]}", &rc, err, sizeof(err));
  CU_ASSERT_EQUAL_FATAL(rc, 0);
  CU_ASSERT_EQUAL(m->nthreads, 1);
  CU_ASSERT_EQUAL(total_weight(m), 5 * 10000000ull);
  prof__model_free(m);
  /* perf-style collapsed: no thread frame, annotations, comments. */
  m = read_text("foreign.folded", "# comment\nproc;main;f_[k] 2\n\n"
      "proc;main;g_[i] 3\r\n", &rc, err, sizeof(err));
  CU_ASSERT_EQUAL_FATAL(rc, 0);
  CU_ASSERT_STRING_EQUAL(m->threads[0].name, "all");
  CU_ASSERT_EQUAL(m->nframes, 4);
  CU_ASSERT_STRING_EQUAL(m->frames[2].runtime, "kernel");
  CU_ASSERT_EQUAL(m->frames[3].flags, PROF__FRAME_INLINED);
  CU_ASSERT_STRING_EQUAL(m->frames[3].name, "g");
  prof__model_free(m);
}

/* Each malformed input fails with a one-line message holding `want`,
 * and prof_convert leaves no output and no temporary behind. */
static void expect_bad(const char *name, const char *text, const char *want) {
  char err[512] = "";
  char *in = strdup(tmp_path(name));
  char *out = strdup(tmp_path("bad-out.speedscope.json"));
  if (text != NULL)
    write_all(in, text, strlen(text));
  int rc = prof_convert(in, out, NULL, err, sizeof(err));
  CU_ASSERT(rc < 0);
  if (strstr(err, want) == NULL)
    fprintf(stderr, "\n%s: message \"%s\" lacks \"%s\"\n", name, err, want);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
  CU_ASSERT_PTR_NULL(strchr(err, '\n'));
  CU_ASSERT_EQUAL(access(out, F_OK), -1);
  CU_ASSERT_EQUAL(count_temp_files(tmp_path("")), 0);
  free(in);
  free(out);
}

static void test_malformed(void) {
  expect_bad("missing.json", NULL, "cannot open");
  expect_bad("empty.json", "", "empty file");
  expect_bad("blank.json", " \n\t\n", "empty file");
  expect_bad("trunc.json", "{\"$schema\":\"https://www.speedscope.app/file-"
             "format-schema.json\",\"shared\":{\"frames\":[", "invalid JSON");
  expect_bad("schema.json", "{\"$schema\":\"https://example.com/other\","
             "\"shared\":{\"frames\":[]},\"profiles\":[]}", "$schema");
  expect_bad("noschema.json", "{\"shared\":{\"frames\":[]},\"profiles\":[]}",
             "$schema");
  expect_bad("other.json", "{\"hello\":1}", "neither a speedscope");
  expect_bad("len.json", "{\"$schema\":\"https://www.speedscope.app/file-"
             "format-schema.json\",\"shared\":{\"frames\":[{\"name\":\"a\"}]},"
             "\"profiles\":[{\"type\":\"sampled\",\"name\":\"p\",\"unit\":"
             "\"nanoseconds\",\"startValue\":0,\"endValue\":1,\"samples\":"
             "[[0]],\"weights\":[]}]}", "same length");
  expect_bad("range.json", "{\"$schema\":\"https://www.speedscope.app/file-"
             "format-schema.json\",\"shared\":{\"frames\":[{\"name\":\"a\"}]},"
             "\"profiles\":[{\"type\":\"sampled\",\"name\":\"p\",\"unit\":"
             "\"nanoseconds\",\"startValue\":0,\"endValue\":1,\"samples\":"
             "[[3]],\"weights\":[1]}]}", "out of range");
  expect_bad("bytes.json", "{\"$schema\":\"https://www.speedscope.app/file-"
             "format-schema.json\",\"shared\":{\"frames\":[]},\"profiles\":"
             "[{\"type\":\"sampled\",\"name\":\"p\",\"unit\":\"bytes\","
             "\"startValue\":0,\"endValue\":0,\"samples\":[],\"weights\":[]}]}",
             "unit");
  expect_bad("d3neg.json", "{\"name\":\"r\",\"value\":-1}", "non-negative");
  expect_bad("bad.folded", "a;b 1\na;b x\n", "line 2");
  expect_bad("float.folded", "a;b 1.5\n", "line 1");
  expect_bad("gz.pb.gz", "\x1f\x8b\x08", "gzip data is corrupt");
  expect_bad("", NULL, "directory");
}

static void test_convert_args(void) {
  char err[256] = "";
  char *in = fixture_file(PROF__FMT_SPEEDSCOPE, "args.speedscope.json");
  CU_ASSERT_EQUAL(prof_convert(in, tmp_path("x.txt"), NULL, err,
                               sizeof(err)), PROF_EFORMAT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "extension"));
  CU_ASSERT_EQUAL(prof_convert(in, tmp_path("x.txt"), "png", err,
                               sizeof(err)), PROF_EFORMAT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "png"));
  CU_ASSERT_EQUAL(prof_convert(in, tmp_path("x.txt"), "d3,pprof", err,
                               sizeof(err)), PROF_EFORMAT);
  CU_ASSERT_EQUAL(access(tmp_path("x.txt"), F_OK), -1);
  CU_ASSERT_EQUAL(prof_convert(NULL, "x", NULL, err, sizeof(err)),
                  PROF_EINVAL);
  setenv("LIBPROF_COLLAPSED_WEIGHT", "bogus", 1);
  CU_ASSERT_EQUAL(prof_convert(in, tmp_path("y.folded"), NULL, err,
                               sizeof(err)), PROF_ECONFIG);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "LIBPROF_COLLAPSED_WEIGHT"));
  setenv("LIBPROF_COLLAPSED_WEIGHT", "ns", 1);
  CU_ASSERT_EQUAL(prof_convert(in, tmp_path("y.folded"), NULL, err,
                               sizeof(err)), 0);
  unsetenv("LIBPROF_COLLAPSED_WEIGHT");
  char *got = read_all(tmp_path("y.folded"), NULL);
  char path[4096];
  snprintf(path, sizeof(path), "%s/fixture_ns.folded", golden_dir);
  char *want = read_all(path, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(want);
  CU_ASSERT_STRING_EQUAL(got, want);
  free(got);
  free(want);
  free(in);
}

void add_read_tests(void) {
  CU_pSuite s = CU_add_suite("read", NULL, NULL);
  CU_add_test(s, "round trip per format", test_roundtrip_same_format);
  CU_add_test(s, "convert speedscope to pprof", test_convert_pprof);
  CU_add_test(s, "convert chain keeps counts", test_convert_chain);
  CU_add_test(s, "foreign inputs", test_foreign_inputs);
  CU_add_test(s, "malformed inputs", test_malformed);
  CU_add_test(s, "convert arguments", test_convert_args);
}
