/* Fuzz target: the speedscope reader on any JSON, then the round trip. */
#include "export/read_json.h"
#include "fuzz/export/fuzz_export.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_json(data, size, prof__read_speedscope);
  return 0;
}
