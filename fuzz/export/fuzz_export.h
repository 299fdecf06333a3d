/* Shared by the export fuzz targets. Test code only. */
#ifndef PROF_FUZZ_EXPORT_H
#define PROF_FUZZ_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "export/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What libprof read, libprof must write in every format, and read back
 * what it wrote in the readable ones; speedscope, which keeps everything
 * the model has, must come back byte for byte. abort()s otherwise, which
 * the fuzzer reports as a crash. */
void fuzz_roundtrip(const struct prof__model *m);

#endif
