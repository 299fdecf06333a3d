/* Locating libprof.so for `libprof record` (public header only).
 * Not thread-safe (reads the environment); not AS-safe. */
#ifndef PROF_TOOLS_FIND_LIB_H
#define PROF_TOOLS_FIND_LIB_H

#include <stddef.h>

/* Finds the library to preload, in this order: $LIBPROF_LIB; next to
 * this executable (in <dir>): <dir>/../lib, lib64 etc. (the glob
 * "../lib" followed by "*"), also one multiarch level down such as
 * lib/x86_64-linux-gnu; <dir>/../libprof.so (the build tree); the
 * configured install directory. Writes its absolute path to out.
 * Returns 0, or -1 with a one-line message in err. */
int prof_find_lib(char *out, size_t len, char *err, size_t errlen);

#endif
