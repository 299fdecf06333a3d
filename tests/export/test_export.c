/* Export unit tests: format names and paths, the model builder, every
 * writer against golden files on the fixture, and prof_report.
 * Readers and prof_convert are in test_export_read.c.
 *
 *   test_export GOLDEN_DIR
 * LIBPROF_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing
 * (review the diff before committing them). */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <ftw.h>

#include "export/export.h"
#include "export/writers.h" /* prof__read_profile */
#include "fixture.h"
#include "libprof.h"
#include "pprof_dump.h"
#include "test_export.h"

const char *golden_dir;

/* ---- helpers shared with test_export_read.c ------------------------------ */

char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t n = 0;
  if (f == NULL)
    return NULL;
  FILE *mem = open_memstream(&buf, &n);
  char tmp[8192];
  size_t k;
  while ((k = fread(tmp, 1, sizeof(tmp), f)) > 0)
    fwrite(tmp, 1, k, mem);
  fclose(f);
  fclose(mem);
  if (len)
    *len = n;
  return buf;
}

void write_all(const char *path, const char *data, size_t len) {
  FILE *f = fopen(path, "wb");
  CU_ASSERT_FATAL(f != NULL);
  CU_ASSERT(fwrite(data, 1, len, f) == len);
  fclose(f);
}

char *export_mem(const struct prof__model *m, enum prof__format f, int ns,
                 size_t *len) {
  struct prof__export_opts o = {ns};
  char *buf = NULL;
  size_t n = 0;
  FILE *mem = open_memstream(&buf, &n);
  int rc = prof__export_stream(m, f, &o, mem);
  fclose(mem);
  CU_ASSERT_EQUAL(rc, 0);
  if (len)
    *len = n;
  return buf;
}

char *pprof_text(const char *gz, size_t len) {
  char *buf = NULL;
  size_t n = 0;
  FILE *mem = open_memstream(&buf, &n);
  int rc = pprof_dump((const unsigned char *)gz, len, mem);
  fclose(mem);
  CU_ASSERT_EQUAL(rc, 0);
  return buf;
}

void check_golden(const char *name, const char *got) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", golden_dir, name);
  if (getenv("LIBPROF_UPDATE_GOLDEN")) {
    write_all(path, got, strlen(got));
    return;
  }
  char *want = read_all(path, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(want);
  if (strcmp(want, got) != 0) {
    fprintf(stderr, "\n%s differs from the output; got:\n%s\n", path, got);
    CU_FAIL("golden file mismatch");
  }
  free(want);
}

static char tmp_dir[256];

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

/* Removes this run's temporary directory. */
static void tmp_cleanup(void) {
  if (tmp_dir[0] != 0)
    nftw(tmp_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *tmp_path(const char *name) {
  char *dir = tmp_dir;
  static char path[512];
  if (dir[0] == 0) {
    snprintf(dir, sizeof(tmp_dir), "/tmp/libprof-export-test.XXXXXX");
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
  }
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  return path;
}

int count_temp_files(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;
  if (d == NULL)
    return -1;
  while ((e = readdir(d)) != NULL)
    if (strstr(e->d_name, ".tmp.") != NULL)
      n++;
  closedir(d);
  return n;
}

/* ---- formats ----------------------------------------------------------- */

static void test_format_parse(void) {
  unsigned mask = 0;
  const char *bad = NULL;
  CU_ASSERT_EQUAL(prof__format_parse("speedscope,pprof", &mask, &bad), 0);
  CU_ASSERT_EQUAL(mask, PROF__FMT_SPEEDSCOPE | PROF__FMT_PPROF);
  CU_ASSERT_EQUAL(prof__format_parse(" d3 , collapsed ", &mask, &bad), 0);
  CU_ASSERT_EQUAL(mask, PROF__FMT_D3 | PROF__FMT_COLLAPSED);
  CU_ASSERT_EQUAL(prof__format_parse("folded", &mask, &bad), 0);
  CU_ASSERT_EQUAL(mask, PROF__FMT_COLLAPSED);
  const char *list = "speedscope,bogus";
  CU_ASSERT_EQUAL(prof__format_parse(list, &mask, &bad), PROF_EFORMAT);
  CU_ASSERT_PTR_EQUAL(bad, list + 11);
  CU_ASSERT_EQUAL(prof__format_parse("", &mask, &bad), PROF_EFORMAT);
  CU_ASSERT_EQUAL(prof__format_parse("pprof,", &mask, &bad), PROF_EFORMAT);
  CU_ASSERT_EQUAL(prof__format_parse("d3 pprof", &mask, &bad), PROF_EFORMAT);
}

static void test_format_from_path(void) {
  CU_ASSERT_EQUAL(prof__format_from_path("a.speedscope.json"),
                  PROF__FMT_SPEEDSCOPE);
  CU_ASSERT_EQUAL(prof__format_from_path("a.json"), PROF__FMT_SPEEDSCOPE);
  CU_ASSERT_EQUAL(prof__format_from_path("dir/A.JSON"), PROF__FMT_SPEEDSCOPE);
  CU_ASSERT_EQUAL(prof__format_from_path("a.d3.json"), PROF__FMT_D3);
  CU_ASSERT_EQUAL(prof__format_from_path("a.folded"), PROF__FMT_COLLAPSED);
  CU_ASSERT_EQUAL(prof__format_from_path("a.collapsed"),
                  PROF__FMT_COLLAPSED);
  CU_ASSERT_EQUAL(prof__format_from_path("a.pb.gz"), PROF__FMT_PPROF);
  CU_ASSERT_EQUAL(prof__format_from_path("a.gz"), 0);
  CU_ASSERT_EQUAL(prof__format_from_path("a.txt"), 0);
  CU_ASSERT_EQUAL(prof__format_from_path("dir/.json"), 0);
}

static void expect_path(const char *path, unsigned mask, enum prof__format f,
                        const char *want) {
  char buf[64];
  CU_ASSERT_EQUAL_FATAL(prof__format_path(path, mask, f, buf, sizeof(buf)),
                        0);
  if (strcmp(buf, want) != 0)
    fprintf(stderr, "\nformat_path(%s) = %s, want %s\n", path, buf, want);
  CU_ASSERT_STRING_EQUAL(buf, want);
}

static void test_format_path(void) {
  unsigned ss_pp = PROF__FMT_SPEEDSCOPE | PROF__FMT_PPROF;
  expect_path("out.json", ss_pp, PROF__FMT_SPEEDSCOPE, "out.json");
  expect_path("out.json", ss_pp, PROF__FMT_PPROF, "out.pb.gz");
  expect_path("d/out.d3.json", PROF__FMT_D3 | PROF__FMT_SPEEDSCOPE,
              PROF__FMT_SPEEDSCOPE, "d/out.speedscope.json");
  expect_path("prof", PROF__FMT_PPROF, PROF__FMT_PPROF, "prof");
  /* the one format asked for goes to the path given */
  expect_path("prof.json", PROF__FMT_PPROF, PROF__FMT_PPROF, "prof.json");
  expect_path("prof", PROF__FMT_PPROF | PROF__FMT_D3, PROF__FMT_D3,
              "prof.d3.json");
  expect_path("p.%p.folded", PROF__FMT_COLLAPSED | PROF__FMT_PPROF,
              PROF__FMT_PPROF, "p.%p.pb.gz");
  char small[8];
  CU_ASSERT_EQUAL(prof__format_path("long.json", ss_pp, PROF__FMT_PPROF,
                                    small, sizeof(small)), PROF_EINVAL);
}

/* ---- model --------------------------------------------------------------- */

static void test_model_dedup(void) {
  struct prof__model *m = prof__model_new();
  struct prof__model_frame a = {"f", "a.c", 1, NULL, 0, -1, 0x10};
  struct prof__model_frame b = a;
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  int64_t fa = prof__model_intern_frame(m, &a);
  CU_ASSERT_EQUAL(prof__model_intern_frame(m, &a), fa);
  CU_ASSERT_STRING_EQUAL(m->frames[fa].runtime, "native");
  b.line = 2;
  int64_t fb = prof__model_intern_frame(m, &b);
  CU_ASSERT_NOT_EQUAL(fa, fb);
  b.line = 1;
  b.flags = PROF__FRAME_INLINED;
  CU_ASSERT_NOT_EQUAL(prof__model_intern_frame(m, &b), fa);
  uint32_t st[2] = {(uint32_t)fa, (uint32_t)fb};
  int64_t s0 = prof__model_intern_stack(m, st, 2, 0);
  CU_ASSERT_EQUAL(prof__model_intern_stack(m, st, 2, 0), s0);
  CU_ASSERT_NOT_EQUAL(prof__model_intern_stack(m, st, 2, 1), s0);
  CU_ASSERT_NOT_EQUAL(prof__model_intern_stack(m, st, 1, 0), s0);
  int64_t t = prof__model_thread(m, 7, NULL);
  CU_ASSERT_STRING_EQUAL(m->threads[t].name, "");
  CU_ASSERT_EQUAL(prof__model_thread(m, 7, "seven"), t);
  CU_ASSERT_STRING_EQUAL(m->threads[t].name, "seven");
  CU_ASSERT_EQUAL(prof__model_add_sample(m, t, s0, 1, 100), 0);
  CU_ASSERT_EQUAL(prof__model_add_sample(m, t, s0, 2, 50), 0);
  CU_ASSERT_EQUAL(m->threads[t].nsamples, 1);
  CU_ASSERT_EQUAL(m->threads[t].samples[0].count, 3);
  CU_ASSERT_EQUAL(m->threads[t].samples[0].weight_ns, 150);
  CU_ASSERT_EQUAL(prof__model_add_sample(m, 5, s0, 1, 1), -1);
  prof__model_free(m);
}

static void test_model_many(void) {
  /* Enough entries to grow every table several times. */
  struct prof__model *m = prof__model_new();
  char name[32];
  for (int i = 0; i < 50000; i++) {
    struct prof__model_frame f = {name, NULL, 0, NULL, 0, -1, 0};
    snprintf(name, sizeof(name), "fn%d", i % 20000);
    int64_t fi = prof__model_intern_frame(m, &f);
    CU_ASSERT_EQUAL_FATAL(fi, i % 20000);
    uint32_t st[2] = {(uint32_t)fi, (uint32_t)(i % 7)};
    int64_t si = prof__model_intern_stack(m, st, 2, 0);
    int64_t ti = prof__model_thread(m, i % 3, "t");
    CU_ASSERT_EQUAL_FATAL(prof__model_add_sample(m, ti, si, 1, 1), 0);
  }
  CU_ASSERT_EQUAL(m->nframes, 20000);
  CU_ASSERT_EQUAL(m->nthreads, 3);
  CU_ASSERT_EQUAL(m->nstacks, 50000); /* (i % 20000, i % 7) never repeat */
  prof__model_free(m);
}

/* ---- golden writers ----------------------------------------------------- */

static void golden(enum prof__format f, int ns, const char *name) {
  struct prof__model *m = fixture_model();
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  size_t len = 0;
  char *out = export_mem(m, f, ns, &len);
  if (f == PROF__FMT_PPROF) {
    char *text = pprof_text(out, len);
    check_golden(name, text);
    free(text);
  } else {
    CU_ASSERT_EQUAL(strlen(out), len); /* no NUL bytes inside */
    check_golden(name, out);
  }
  free(out);
  prof__model_free(m);
}

static void test_golden_speedscope(void) {
  golden(PROF__FMT_SPEEDSCOPE, 0, "fixture.speedscope.json");
}
static void test_golden_d3(void) { golden(PROF__FMT_D3, 0, "fixture.d3.json"); }
static void test_golden_collapsed(void) {
  golden(PROF__FMT_COLLAPSED, 0, "fixture.folded");
}
static void test_golden_collapsed_ns(void) {
  golden(PROF__FMT_COLLAPSED, 1, "fixture_ns.folded");
}
static void test_golden_svg(void) { golden(PROF__FMT_SVG, 0, "fixture.svg"); }

/* Markup in a name is escaped, control bytes dropped, invalid UTF-8
 * replaced: the SVG stays well-formed XML. */
static void test_svg_escaping(void) {
  struct prof__model *m = prof__model_new();
  struct prof__model_frame f = {"a<b&\"c\x01\xff>", NULL, 0, "native", 0, -1, 0};
  uint32_t fi = (uint32_t)prof__model_intern_frame(m, &f);
  int64_t si = prof__model_intern_stack(m, &fi, 1, 0);
  prof__model_add_sample(m, prof__model_thread(m, 1, "t"), si, 1, 5);
  char *out = export_mem(m, PROF__FMT_SVG, 0, NULL);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "<title>a&lt;b&amp;&quot;c\xef\xbf\xbd&gt; (native)"));
  CU_ASSERT_PTR_NULL(strstr(out, "\x01"));
  free(out);
  prof__model_free(m);
}

static void test_golden_pprof(void) {
  golden(PROF__FMT_PPROF, 0, "fixture.pprof.txt");
}

/* The page with the vendored libraries put back as their markers, so the
 * golden file holds libprof's own page, metadata and tree only. */
extern const char prof__asset_d3[], prof__asset_fg[], prof__asset_license_d3[],
    prof__asset_license_fg[];

static void unembed(char *s, const char *asset, const char *marker) {
  char *p = strstr(s, asset);
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  size_t n = strlen(asset), k = strlen(marker);
  memcpy(p, marker, k);
  memmove(p + k, p + n, strlen(p + n) + 1);
}

static void test_golden_html(void) {
  struct prof__model *m = fixture_model();
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  size_t len = 0;
  char *out = export_mem(m, PROF__FMT_HTML, 0, &len);
  CU_ASSERT_EQUAL(strlen(out), len);
  unembed(out, prof__asset_d3, "@@D3@@");
  unembed(out, prof__asset_fg, "@@FLAMEGRAPH@@");
  unembed(out, prof__asset_license_d3, "@@LICENSE_D3@@");
  unembed(out, prof__asset_license_fg, "@@LICENSE_FG@@");
  check_golden("fixture.html", out);
  free(out);
  prof__model_free(m);
}

/* A name holding "</script>" stays inside the JSON element: '<' is
 * written \u003c, so the page has only its own closing tags. */
static void test_html_escaping(void) {
  struct prof__model *m = prof__model_new();
  struct prof__model_frame f = {"x</script><script>alert(1)//", NULL, 0,
                                "native", 0, -1, 0};
  uint32_t fi = (uint32_t)prof__model_intern_frame(m, &f);
  int64_t si = prof__model_intern_stack(m, &fi, 1, 0);
  prof__model_add_sample(m, prof__model_thread(m, 1, "t<!--"), si, 1, 5);
  char *out = export_mem(m, PROF__FMT_HTML, 0, NULL);
  CU_ASSERT_PTR_NULL(strstr(out, "x</script>"));
  CU_ASSERT_PTR_NULL(strstr(out, "t<!--"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "x\\u003c/script>\\u003cscript>"));
  free(out);
  prof__model_free(m);
}

/* pprof takes the first mapping for the main binary: the program's own
 * module comes first even when libc was loaded (and sampled) first, and
 * every location keeps pointing at its own module. */
static void test_pprof_main_first(void) {
  struct prof__model *m = prof__model_new();
  const struct prof__model_module mods[2] = {
      {"/lib/libc.so.6", "aa", 0x7f0000000000, 0x7f0000100000, 0},
      {"/usr/bin/app", "bb", 0x400000, 0x500000, 0}};
  CU_ASSERT_EQUAL_FATAL(prof__model_set_str(m, &m->program, "/usr/bin/app"), 0);
  uint32_t fr[2];
  for (int i = 0; i < 2; i++) {
    CU_ASSERT_EQUAL_FATAL(prof__model_add_module(m, &mods[i]), i);
    struct prof__model_frame f = {i ? "main" : "memcpy", NULL, 0, "native",
                                  0, i, i ? 0x401000 : 0x7f0000001000};
    fr[1 - i] = (uint32_t)prof__model_intern_frame(m, &f);
  }
  int64_t si = prof__model_intern_stack(m, fr, 2, 0);
  prof__model_add_sample(m, prof__model_thread(m, 7, "w"), si, 1, 10);
  size_t len = 0;
  char *gz = export_mem(m, PROF__FMT_PPROF, 0, &len);
  char *text = pprof_text(gz, len);
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "mapping 1 0x400000-0x500000 off 0x0 /usr/bin/app"));
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "mapping 2 0x7f0000000000-0x7f0000100000 off 0x0 /lib/libc.so.6"));
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "mapping 1 address 0x401000"));
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "mapping 2 address 0x7f0000001000"));
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "thread=\"w\" tid=7"));
  free(text);
  free(gz);
  prof__model_free(m);
}

/* A script's main and C's main: two sandwich rows that speedscope must
 * tell apart by name; reading the file back gives the plain names. */
static void test_speedscope_name_clash(void) {
  struct prof__model *m = prof__model_new();
  struct prof__model_frame fs[3] = {
      {"main", "vm.c", 1, "native", 0, -1, 0},
      {"main", "s.tiny", 2, "tiny", 0, -1, 0},
      {"cmp", "s.tiny", 3, "tiny", 0, -1, 0}};
  uint32_t fr[3];
  for (int i = 0; i < 3; i++)
    fr[i] = (uint32_t)prof__model_intern_frame(m, &fs[i]);
  int64_t si = prof__model_intern_stack(m, fr, 3, 0);
  prof__model_add_sample(m, prof__model_thread(m, 1, "t"), si, 1, 10);
  char *ss = export_mem(m, PROF__FMT_SPEEDSCOPE, 0, NULL);
  CU_ASSERT_PTR_NOT_NULL(strstr(ss, "{\"name\":\"main\",\"file\":\"vm.c\""));
  CU_ASSERT_PTR_NOT_NULL(strstr(ss, "{\"name\":\"main [tiny]\",\"file\":\"s.tiny\""));
  CU_ASSERT_PTR_NOT_NULL(strstr(ss, "{\"name\":\"cmp\",")); /* no clash */
  char *p = tmp_path("clash.speedscope.json");
  write_all(p, ss, strlen(ss));
  struct prof__model *back = NULL;
  char err[256];
  CU_ASSERT_EQUAL_FATAL(prof__read_profile(p, &back, err, sizeof(err)), 0);
  CU_ASSERT_EQUAL(back->nframes, 3);
  for (size_t i = 0; i < back->nframes && i < 3; i++)
    CU_ASSERT_STRING_EQUAL(back->frames[i].name, fs[i].name);
  prof__model_free(back);
  free(ss);
  prof__model_free(m);
}

static void test_empty_model(void) {
  struct prof__model *m = prof__model_new();
  for (unsigned f = PROF__FMT_SPEEDSCOPE; f <= PROF__FMT_LAST; f <<= 1) {
    size_t len = 0;
    char *out = export_mem(m, (enum prof__format)f, 0, &len);
    if (f == PROF__FMT_SPEEDSCOPE) /* activeProfileIndex 0 must exist */
      CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"samples\":[],\"weights\":[]"));
    if (f == PROF__FMT_COLLAPSED)
      CU_ASSERT_EQUAL(len, 0);
    free(out);
  }
  prof__model_free(m);
}

static void test_json_escaping(void) {
  struct prof__model *m = prof__model_new();
  /* A quote, a backslash, a control byte and an invalid UTF-8 byte. */
  struct prof__model_frame f = {"a\"b\\c\x01\xff;d", NULL, 0, NULL, 0, -1, 0};
  uint32_t fi = (uint32_t)prof__model_intern_frame(m, &f);
  int64_t si = prof__model_intern_stack(m, &fi, 1, 0);
  int64_t ti = prof__model_thread(m, 1, "t\n1");
  prof__model_add_sample(m, ti, si, 1, 5);
  char *ss = export_mem(m, PROF__FMT_SPEEDSCOPE, 0, NULL);
  CU_ASSERT_PTR_NOT_NULL(strstr(ss, "\"a\\\"b\\\\c\\u0001\xef\xbf\xbd;d\""));
  CU_ASSERT_PTR_NOT_NULL(strstr(ss, "\"t\\n1 (1)\""));
  char *col = export_mem(m, PROF__FMT_COLLAPSED, 0, NULL);
  CU_ASSERT_STRING_EQUAL(col, "t 1 (1);a\"b\\c\x01\xff:d 1\n");
  free(ss);
  free(col);
  prof__model_free(m);
}

/* ---- atomic files --------------------------------------------------------- */

static void test_export_file(void) {
  struct prof__model *m = fixture_model();
  char *p = tmp_path("atomic.json");
  CU_ASSERT_EQUAL(prof__export_file(m, PROF__FMT_SPEEDSCOPE, NULL, p), 0);
  size_t len = 0;
  char *got = read_all(p, &len);
  char *want = export_mem(m, PROF__FMT_SPEEDSCOPE, 0, NULL);
  CU_ASSERT_STRING_EQUAL(got, want);
  free(got);
  free(want);
  CU_ASSERT_EQUAL(prof__export_file(m, PROF__FMT_PPROF, NULL,
                                    "/nonexistent-dir/x.pb.gz"),
                  PROF_EOUTPUT);
  CU_ASSERT_EQUAL(access("/nonexistent-dir", F_OK), -1);
  /* A directory in the way of the rename: the write fails, no temp. */
  char *d = tmp_path("is-a-dir");
  CU_ASSERT_EQUAL(mkdir(d, 0755), 0);
  CU_ASSERT_NOT_EQUAL(prof__export_file(m, PROF__FMT_D3, NULL, d), 0);
  CU_ASSERT_EQUAL(count_temp_files(tmp_path("")), 0);
  prof__model_free(m);
}

/* ---- report -------------------------------------------------------------- */

static char *report_mem(const char *in, int top, const char *thread,
                        int *rc, char *err, unsigned errlen) {
  char *buf = NULL;
  size_t n = 0;
  FILE *mem = open_memstream(&buf, &n);
  *rc = prof_report(in, mem, top, thread, err, errlen);
  fclose(mem);
  return buf;
}

static void test_report(void) {
  struct prof__model *m = fixture_model();
  char *p = tmp_path("report.speedscope.json");
  char err[256] = "";
  int rc;
  CU_ASSERT_EQUAL_FATAL(prof__export_file(m, PROF__FMT_SPEEDSCOPE, NULL, p),
                        0);
  char *all = report_mem(p, 0, NULL, &rc, err, sizeof(err));
  CU_ASSERT_EQUAL(rc, 0);
  check_golden("report.txt", all);
  char *w = report_mem(p, 3, "worker", &rc, err, sizeof(err));
  CU_ASSERT_EQUAL(rc, 0);
  check_golden("report_worker_top3.txt", w);
  char *by_tid = report_mem(p, 3, "101", &rc, err, sizeof(err));
  CU_ASSERT_STRING_EQUAL(by_tid + strcspn(by_tid, "\n"),
                         w + strcspn(w, "\n"));
  char *none = report_mem(p, 3, "nosuch", &rc, err, sizeof(err));
  CU_ASSERT_EQUAL(rc, PROF_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "nosuch"));
  free(all);
  free(w);
  free(by_tid);
  free(none);
  prof__model_free(m);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: test_export GOLDEN_DIR\n");
    return 2;
  }
  golden_dir = argv[1];
  CU_initialize_registry();
  CU_pSuite s = CU_add_suite("export", NULL, NULL);
  CU_add_test(s, "format parse", test_format_parse);
  CU_add_test(s, "format from path", test_format_from_path);
  CU_add_test(s, "format sibling path", test_format_path);
  CU_add_test(s, "model dedup and merge", test_model_dedup);
  CU_add_test(s, "model growth", test_model_many);
  CU_add_test(s, "golden speedscope", test_golden_speedscope);
  CU_add_test(s, "golden d3", test_golden_d3);
  CU_add_test(s, "golden collapsed", test_golden_collapsed);
  CU_add_test(s, "golden collapsed ns", test_golden_collapsed_ns);
  CU_add_test(s, "golden pprof", test_golden_pprof);
  CU_add_test(s, "golden html", test_golden_html);
  CU_add_test(s, "golden svg", test_golden_svg);
  CU_add_test(s, "svg escaping", test_svg_escaping);
  CU_add_test(s, "html escaping", test_html_escaping);
  CU_add_test(s, "pprof main binary first", test_pprof_main_first);
  CU_add_test(s, "speedscope name clash", test_speedscope_name_clash);
  CU_add_test(s, "empty model", test_empty_model);
  CU_add_test(s, "escaping", test_json_escaping);
  CU_add_test(s, "atomic file", test_export_file);
  CU_add_test(s, "report", test_report);
  add_read_tests();
  add_write_tests();
  add_limit_tests();
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures();
  CU_cleanup_registry();
  tmp_cleanup();
  return failed != 0;
}
