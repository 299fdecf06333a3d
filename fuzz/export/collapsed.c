/* Fuzz target: the collapsed reader, weights read as counts and as
 * nanoseconds, then the round trip. */
#include <stdlib.h>
#include <string.h>

#include "export/writers.h"
#include "fuzz/export/fuzz_export.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *buf = malloc(size + 1), err[256];
  if (buf == NULL)
    return 0;
  memcpy(buf, data, size);
  buf[size] = 0; /* the readers take a NUL-terminated file */
  for (int ns = 0; ns <= 1; ns++) {
    struct prof__model *m = prof__model_new();
    if (m != NULL && prof__read_collapsed(m, buf, size, ns, err,
                                          sizeof(err)) == 0)
      fuzz_roundtrip(m);
    prof__model_free(m);
  }
  free(buf);
  return 0;
}
