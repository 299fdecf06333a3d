/* Fuzz target: the d3-flame-graph reader on any JSON, then the round trip. */
#include <jansson.h>
#include <stdlib.h>

#include "export/read_json.h"
#include "fuzz/export/fuzz_export.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_error_t je;
  json_t *root = json_loadb((const char *)data, size, 0, &je);
  if (root == NULL)
    return 0;
  char err[256];
  struct prof__model *m = prof__model_new();
  if (m != NULL && prof__read_d3(m, root, err, sizeof(err)) == 0)
    fuzz_roundtrip(m);
  prof__model_free(m);
  json_decref(root);
  return 0;
}
