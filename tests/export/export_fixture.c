/* Writes the fixture profile in every format into a directory, for the
 * script tests (viewers, pprof, cross-format consistency):
 *   export_fixture DIR  ->  DIR/fixture.{speedscope.json,d3.json,folded,
 *                           pb.gz,html} and DIR/fixture_ns.folded
 * With --big N P S it writes the big synthetic model instead (N samples,
 * P frames, S distinct stacks) as DIR/big.*. Exit status 0 or 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/export.h"
#include "fixture.h"

static int write_all(const struct prof__model *m, const char *dir,
                     const char *base) {
  static const struct {
    enum prof__format f;
    int ns;
    const char *suffix;
  } outs[] = {
      {PROF__FMT_SPEEDSCOPE, 0, ".speedscope.json"},
      {PROF__FMT_D3, 0, ".d3.json"},
      {PROF__FMT_COLLAPSED, 0, ".folded"},
      {PROF__FMT_COLLAPSED, 1, "_ns.folded"},
      {PROF__FMT_PPROF, 0, ".pb.gz"},
      {PROF__FMT_HTML, 0, ".html"},
      {PROF__FMT_SVG, 0, ".svg"},
  };
  char path[4096];
  for (size_t i = 0; i < sizeof(outs) / sizeof(outs[0]); i++) {
    struct prof__export_opts o = {outs[i].ns};
    snprintf(path, sizeof(path), "%s/%s%s", dir, base, outs[i].suffix);
    int rc = prof__export_file(m, outs[i].f, &o, path);
    if (rc != 0) {
      fprintf(stderr, "export_fixture: %s: error %d\n", path, rc);
      return 1;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  struct prof__model *m;
  const char *base = "fixture";
  if (argc == 6 && strcmp(argv[2], "--big") == 0) {
    m = fixture_big_model(strtoul(argv[3], NULL, 10),
                          strtoul(argv[4], NULL, 10),
                          strtoul(argv[5], NULL, 10));
    base = "big";
  } else if (argc == 2) {
    m = fixture_model();
  } else {
    fprintf(stderr, "usage: export_fixture DIR [--big NSAMPLES NPCS NSTACKS]\n");
    return 2;
  }
  if (m == NULL) {
    fprintf(stderr, "export_fixture: cannot build the model\n");
    return 1;
  }
  int rc = write_all(m, argv[1], base);
  prof__model_free(m);
  return rc;
}
