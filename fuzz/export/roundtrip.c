/* fuzz_roundtrip and fuzz_json (see fuzz_export.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/export.h"
#include "export/writers.h"
#include "fuzz/export/fuzz_export.h"

/* m in format f, malloc'd and NUL-terminated; aborts on a write error. */
static char *fuzz_write(const struct prof__model *m, enum prof__format f,
                        size_t *len) {
  char *buf = NULL;
  FILE *mem = open_memstream(&buf, len);
  if (mem == NULL)
    abort();
  int rc = prof__export_stream(m, f, NULL, mem);
  fclose(mem);
  if (rc != 0) {
    fprintf(stderr, "writing format %d failed: %d\n", f, rc);
    abort();
  }
  return buf;
}

/* Reads buf back; returns the model, aborting when it is refused. */
static struct prof__model *fuzz_reread(const char *buf, size_t len,
                                       enum prof__format f) {
  char err[256] = "";
  struct prof__model *m = prof__model_new();
  if (m == NULL)
    abort();
  if (prof__read_mem(m, buf, len, err, sizeof(err)) != 0) {
    fprintf(stderr, "libprof cannot read its own format %d: %s\n", f, err);
    abort();
  }
  return m;
}

/* Whether some sample has a count: collapsed stacks hold counts only, so
 * a model whose samples all have 0 writes a file without a stack. */
static int fuzz_has_count(const struct prof__model *m) {
  for (size_t t = 0; t < m->nthreads; t++)
    for (size_t i = 0; i < m->threads[t].nsamples; i++)
      if (m->threads[t].samples[i].count)
        return 1;
  return 0;
}

void fuzz_roundtrip(const struct prof__model *m) {
  size_t len = 0, len2 = 0;
  free(fuzz_write(m, PROF__FMT_PPROF, &len));
  /* An empty model writes files with no stack, which only speedscope
   * reads back (collapsed and d3 say "no stacks"). */
  for (unsigned f = PROF__FMT_D3; f <= PROF__FMT_COLLAPSED && m->nstacks;
       f <<= 1) {
    if (f == PROF__FMT_COLLAPSED && !fuzz_has_count(m))
      continue;
    char *buf = fuzz_write(m, (enum prof__format)f, &len);
    prof__model_free(fuzz_reread(buf, len, (enum prof__format)f));
    free(buf);
  }
  char *a = fuzz_write(m, PROF__FMT_SPEEDSCOPE, &len);
  struct prof__model *back = fuzz_reread(a, len, PROF__FMT_SPEEDSCOPE);
  char *b = fuzz_write(back, PROF__FMT_SPEEDSCOPE, &len2);
  if (len != len2 || memcmp(a, b, len) != 0) {
    fprintf(stderr, "speedscope round trip differs:\n%s\n---\n%s\n", a, b);
    abort();
  }
  prof__model_free(back);
  free(a);
  free(b);
}

void fuzz_json(const uint8_t *data, size_t size, fuzz_json_reader reader) {
  json_error_t je;
  json_t *root = json_loadb((const char *)data, size, 0, &je);
  if (root == NULL)
    return;
  char err[256];
  struct prof__model *m = prof__model_new();
  if (m != NULL && reader(m, root, err, sizeof(err)) == 0)
    fuzz_roundtrip(m);
  prof__model_free(m);
  json_decref(root);
}
