/* Allocation-failure loop: for every operation of the export layer (model
 * builder, each writer, each reader through prof_convert, prof_report),
 * make the 1st, 2nd, 3rd... allocation fail until the operation runs
 * without hitting the failure. Each run must return cleanly: no crash, no
 * leaked block, no file or temporary left behind on error, and correct
 * output whenever it reports success.
 *
 * malloc and friends are interposed in this executable, which also
 * catches the allocations jansson, zlib, protobuf-c and stdio make.
 * Single-threaded. Exit status 0 = pass. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export/export.h"
#include "fixture.h"
#include "libprof.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);
void *memalign(size_t align, size_t n); /* obsolete: no header declares it */

static long countdown = -1; /* allocations left before the failure; -1 off */
static int injected;        /* the failure happened in this run */
static long live;           /* blocks currently allocated */

static int should_fail(void) {
  if (countdown < 0)
    return 0;
  if (countdown-- == 0) {
    injected = 1;
    return 1;
  }
  return 0;
}

void *malloc(size_t n) {
  if (should_fail())
    return NULL;
  void *p = __libc_malloc(n);
  live += p != NULL;
  return p;
}

void *calloc(size_t a, size_t b) {
  if (should_fail())
    return NULL;
  void *p = __libc_calloc(a, b);
  live += p != NULL;
  return p;
}

void *realloc(void *p, size_t n) {
  if (p == NULL)
    return malloc(n);
  if (n == 0) {
    free(p);
    return NULL;
  }
  if (should_fail())
    return NULL;
  return __libc_realloc(p, n);
}

void *memalign(size_t align, size_t n) {
  if (should_fail())
    return NULL;
  void *p = __libc_memalign(align, n);
  live += p != NULL;
  return p;
}

void *aligned_alloc(size_t align, size_t n) { return memalign(align, n); }

int posix_memalign(void **out, size_t align, size_t n) {
  void *p = memalign(align, n);
  if (p == NULL)
    return ENOMEM;
  *out = p;
  return 0;
}

void free(void *p) {
  if (p == NULL)
    return;
  live--;
  __libc_free(p);
}

/* ---- the operations ------------------------------------------------------ */

static char dir[] = "/tmp/libprof-alloc-test.XXXXXX";
static char golden[5][64 * 1024]; /* expected outputs, by format bit */
static int failures;

#define CHECK(cond, ...)                                              \
  do {                                                                \
    if (!(cond)) {                                                    \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);            \
      fprintf(stderr, __VA_ARGS__);                                   \
      fprintf(stderr, "\n");                                          \
      failures++;                                                     \
    }                                                                 \
  } while (0)

static int fmt_index(enum prof__format f) {
  return __builtin_ctz((unsigned)f);
}

static char *path_in(const char *name) {
  static char p[4][512];
  static int k;
  k = (k + 1) % 4;
  snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
  return p[k];
}

static int leftovers(void) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;
  while ((e = readdir(d)) != NULL)
    n += strstr(e->d_name, ".tmp.") != NULL || strncmp(e->d_name, "out", 3) == 0;
  closedir(d);
  return n;
}

/* One run of an operation; returns its status (0 = success). */
typedef int (*op_fn)(const void *arg, int check_output);

static int op_model(const void *arg, int check) {
  (void)arg;
  struct prof__model *m = fixture_model();
  if (m == NULL)
    return -1;
  CHECK(!check || m->nthreads == 2, "fixture threads");
  prof__model_free(m);
  return 0;
}

/* arg: the format. The model is built unarmed; only the writer fails. */
static struct prof__model *writer_model;

static int op_writer(const void *arg, int check) {
  enum prof__format f = (enum prof__format)(uintptr_t)arg;
  char *p = path_in("out.file");
  int rc = prof__export_file(writer_model, f, NULL, p);
  if (rc == 0 && check) {
    FILE *fp = fopen(p, "rb");
    static char buf[64 * 1024];
    size_t n = fp ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;
    buf[n] = 0;
    if (fp)
      fclose(fp);
    CHECK(memcmp(buf, golden[fmt_index(f)], n + 1) == 0,
          "writer %d output differs", (int)f);
  }
  unlink(p);
  return rc;
}

/* arg: "IN OUT-NAME" pairs are fixed files made unarmed beforehand. */
static int op_convert(const void *arg, int check) {
  const char *const *io = arg;
  char err[256];
  int rc = prof_convert(path_in(io[0]), path_in(io[1]), NULL, err,
                        sizeof(err));
  CHECK(rc == 0 || strchr(err, '\n') == NULL, "multi-line error");
  (void)check;
  unlink(path_in(io[1]));
  return rc;
}

static int op_report(const void *arg, int check) {
  char *buf = NULL;
  size_t n = 0;
  char err[256];
  (void)arg;
  FILE *mem = open_memstream(&buf, &n);
  if (mem == NULL)
    return -1;
  int rc = prof_report(path_in("in.speedscope.json"), mem, 5, NULL, err,
                       sizeof(err));
  fclose(mem);
  CHECK(!check || rc != 0 || (buf && strstr(buf, "square")), "report text");
  free(buf);
  return rc;
}

/* Runs op with the k-th allocation failing, for k = 0, 1, 2, ... until a
 * run finishes without reaching the failure. */
static void fail_loop(const char *name, op_fn op, const void *arg) {
  long k;
  op(arg, 1); /* warm-up: one-time allocations of libraries */
  for (k = 0; k < 100000; k++) {
    long before = live;
    injected = 0;
    countdown = k;
    int rc = op(arg, 0);
    countdown = -1;
    CHECK(live == before, "%s: run %ld leaked %ld blocks", name, k,
          live - before);
    CHECK(leftovers() == 0, "%s: run %ld left files behind", name, k);
    if (!injected) {
      CHECK(rc == 0, "%s: failed without an injected failure", name);
      break;
    }
  }
  fprintf(stderr, "%-28s %6ld allocation failures survived\n", name, k);
}

static void make_inputs(void) {
  static const struct {
    enum prof__format f;
    const char *name;
  } ins[] = {{PROF__FMT_SPEEDSCOPE, "in.speedscope.json"},
             {PROF__FMT_D3, "in.d3.json"},
             {PROF__FMT_COLLAPSED, "in.folded"},
             {PROF__FMT_PPROF, "in.pb.gz"}};
  for (size_t i = 0; i < 4; i++) {
    CHECK(prof__export_file(writer_model, ins[i].f, NULL,
                            path_in(ins[i].name)) == 0, "input");
    FILE *fp = fopen(path_in(ins[i].name), "rb");
    size_t n = fread(golden[fmt_index(ins[i].f)], 1, sizeof(golden[0]) - 1, fp);
    golden[fmt_index(ins[i].f)][n] = 0;
    fclose(fp);
  }
}

int main(void) {
  static const char *const conv[][2] = {
      {"in.speedscope.json", "out.d3.json"},
      {"in.speedscope.json", "out.pb.gz"},
      {"in.d3.json", "out.folded"},
      {"in.folded", "out.speedscope.json"}};
  if (mkdtemp(dir) == NULL)
    return 1;
  writer_model = fixture_model();
  make_inputs();
  fail_loop("model builder", op_model, NULL);
  fail_loop("speedscope writer", op_writer, (void *)PROF__FMT_SPEEDSCOPE);
  fail_loop("d3 writer", op_writer, (void *)PROF__FMT_D3);
  fail_loop("collapsed writer", op_writer, (void *)PROF__FMT_COLLAPSED);
  fail_loop("pprof writer", op_writer, (void *)PROF__FMT_PPROF);
  for (size_t i = 0; i < sizeof(conv) / sizeof(conv[0]); i++)
    fail_loop(conv[i][1], op_convert, conv[i]);
  fail_loop("report", op_report, NULL);
  prof__model_free(writer_model);
  const char *names[] = {"in.speedscope.json", "in.d3.json", "in.folded",
                         "in.pb.gz"};
  for (size_t i = 0; i < 4; i++)
    unlink(path_in(names[i]));
  rmdir(dir);
  printf("%d passed, %d failed\n", failures ? 0 : 1, failures ? 1 : 0);
  return failures != 0;
}
