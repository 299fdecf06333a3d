/* Decodes a gzipped pprof profile into deterministic text, so tests can
 * compare it with a golden file without depending on zlib's exact bytes.
 * Test code only. */
#ifndef PROF_TESTS_EXPORT_PPROF_DUMP_H
#define PROF_TESTS_EXPORT_PPROF_DUMP_H

#include <stddef.h>
#include <stdio.h>

/* Gunzips buf[0..len), unpacks it as perftools.profiles.Profile and
 * prints every field to out. Returns 0, or -1 when it is not a valid
 * gzipped profile. */
int pprof_dump(const unsigned char *buf, size_t len, FILE *out);

#endif
