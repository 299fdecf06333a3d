/* Shared by the export fuzz targets. Test code only. */
#ifndef PROF_FUZZ_EXPORT_H
#define PROF_FUZZ_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "export/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A JSON reader of export/read_json.h. */
typedef int (*fuzz_json_reader)(struct prof__model *m, const json_t *root,
                                char *err, size_t errlen);

/* Parses data as JSON and, if it parses, runs reader on it and
 * fuzz_roundtrip on what it read. */
void fuzz_json(const uint8_t *data, size_t size, fuzz_json_reader reader);

/* What libprof read, libprof must write in every format, and read back
 * what it wrote in the readable ones; speedscope, which keeps everything
 * the model has, must come back byte for byte. abort()s otherwise, which
 * the fuzzer reports as a crash. */
void fuzz_roundtrip(const struct prof__model *m);

#endif
