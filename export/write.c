/* prof__export_stream / prof__export_file (see export.h): format dispatch
 * and the atomic file write. Thread-safe for distinct models (the only
 * shared state is an atomic counter); never in a signal handler. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export/writers.h"
#include "libprof.h"

int prof__export_stream(const struct prof__model *m, enum prof__format f,
                        const struct prof__export_opts *o, FILE *fp) {
  static const struct prof__export_opts defaults = {0};
  if (m == NULL || fp == NULL)
    return PROF_EINVAL;
  if (o == NULL)
    o = &defaults;
  switch (f) {
  case PROF__FMT_SPEEDSCOPE: return prof__write_speedscope(m, fp);
  case PROF__FMT_D3: return prof__write_d3(m, fp);
  case PROF__FMT_COLLAPSED: return prof__write_collapsed(m, o, fp);
  case PROF__FMT_PPROF: return prof__write_pprof(m, fp);
  case PROF__FMT_HTML: return prof__write_html(m, fp);
  case PROF__FMT_SVG: return prof__write_svg(m, fp);
  }
  return PROF_EFORMAT;
}

/* Creates "<path>.tmp.<pid>.<n>" with O_EXCL, so concurrent writers (two
 * threads, or parent and child after fork) never share a temporary. The
 * mode 0666 goes through the umask like any file the host creates. */
static int prof__open_temp(const char *path, char **tmp_out) {
  static unsigned counter;
  size_t n = strlen(path) + 64;
  char *tmp = malloc(n);
  if (tmp == NULL)
    return PROF_ENOMEM;
  for (int tries = 0; tries < 100; tries++) {
    unsigned k = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
    snprintf(tmp, n, "%s.tmp.%ld.%u", path, (long)getpid(), k);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      *tmp_out = tmp;
      return fd;
    }
    if (errno != EEXIST)
      break;
  }
  free(tmp);
  return PROF_EOUTPUT;
}

/* Makes the rename itself durable; failure here loses nothing already
 * written, so it is not an error. */
static void prof__sync_dir(const char *path) {
  const char *slash = strrchr(path, '/');
  char dir[4096];
  if (slash == NULL) {
    strcpy(dir, ".");
  } else {
    size_t n = (size_t)(slash - path);
    if (n == 0)
      n = 1; /* "/file" lives in "/" */
    if (n >= sizeof(dir))
      return;
    memcpy(dir, path, n);
    dir[n] = 0;
  }
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

int prof__export_file(const struct prof__model *m, enum prof__format f,
                      const struct prof__export_opts *o, const char *path) {
  char *tmp = NULL;
  if (m == NULL || path == NULL || *path == 0)
    return PROF_EINVAL;
  int fd = prof__open_temp(path, &tmp);
  if (fd < 0)
    return fd;
  FILE *fp = fdopen(fd, "w");
  int rc = fp == NULL ? PROF_ENOMEM : prof__export_stream(m, f, o, fp);
  if (rc == 0 && (fflush(fp) != 0 || fsync(fd) != 0))
    rc = PROF_EIO;
  if (fp != NULL) {
    if (fclose(fp) != 0 && rc == 0)
      rc = PROF_EIO;
  } else {
    close(fd);
  }
  if (rc == 0 && rename(tmp, path) != 0)
    rc = PROF_EOUTPUT;
  if (rc != 0)
    unlink(tmp);
  else
    prof__sync_dir(path);
  free(tmp);
  return rc;
}
