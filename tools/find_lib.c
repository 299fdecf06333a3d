/* Locating libprof.so for `libprof record` (see find_lib.h). */
#include "tools/find_lib.h"

#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROF_LIB_NAME "libprof.so"

/* Resolves path to an absolute, existing file in out. 0 or -1. */
static int prof_resolve(const char *path, char *out, size_t len) {
  char real[PATH_MAX];
  if (realpath(path, real) == NULL || access(real, R_OK) != 0 ||
      strlen(real) + 1 > len)
    return -1;
  memcpy(out, real, strlen(real) + 1);
  return 0;
}

/* The first match of a glob pattern that resolves. 0 or -1. */
static int prof_first_match(const char *pattern, char *out, size_t len) {
  glob_t g;
  int rc = -1;
  if (glob(pattern, 0, NULL, &g) != 0)
    return -1;
  for (size_t i = 0; rc != 0 && i < g.gl_pathc; i++)
    rc = prof_resolve(g.gl_pathv[i], out, len);
  globfree(&g);
  return rc;
}

/* Looks around the directory of the running executable. */
static int prof_near_exe(char *out, size_t len) {
  static const char *const rel[] = {"/../lib*/" PROF_LIB_NAME,
                                    "/../lib*/*/" PROF_LIB_NAME,
                                    "/../" PROF_LIB_NAME};
  char exe[PATH_MAX], pattern[PATH_MAX + 64];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n <= 0)
    return -1;
  exe[n] = 0;
  char *slash = strrchr(exe, '/');
  if (slash == NULL)
    return -1;
  *slash = 0;
  for (size_t i = 0; i < sizeof(rel) / sizeof(*rel); i++) {
    snprintf(pattern, sizeof(pattern), "%s%s", exe, rel[i]);
    if (prof_first_match(pattern, out, len) == 0)
      return 0;
  }
  return -1;
}

int prof_find_lib(char *out, size_t len, char *err, size_t errlen) {
  const char *env = getenv("LIBPROF_LIB");
  if (env != NULL && *env != 0) {
    if (prof_resolve(env, out, len) == 0)
      return 0;
    snprintf(err, errlen, "LIBPROF_LIB=%s: no such readable file", env);
    return -1;
  }
  if (prof_near_exe(out, len) == 0)
    return 0;
#ifdef PROF_LIBDIR
  if (prof_resolve(PROF_LIBDIR "/" PROF_LIB_NAME, out, len) == 0)
    return 0;
#endif
  snprintf(err, errlen, "cannot find %s next to this program or in the "
           "install directory; set LIBPROF_LIB to its path", PROF_LIB_NAME);
  return -1;
}
