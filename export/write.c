/* prof__export_stream / prof__export_file (see export.h): format dispatch,
 * the checks an output path must pass, and the atomic file write.
 * Thread-safe for distinct models (the only shared state is an atomic
 * counter); never in a signal handler. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

static const char *prof__file_kind(mode_t m) {
  if (S_ISDIR(m))
    return "a directory";
  if (S_ISCHR(m) || S_ISBLK(m))
    return "a device";
  if (S_ISFIFO(m))
    return "a FIFO";
  if (S_ISSOCK(m))
    return "a socket";
  return S_ISLNK(m) ? "a symbolic link" : "not a regular file";
}

/* Names longer than the kernel takes would fail only at exit, after the
 * whole run was profiled; so they are measured now. */
static int prof__check_lengths(const char *path, char *err, size_t errlen) {
  size_t n = strlen(path);
  if (n >= PATH_MAX) {
    prof__errf(err, errlen, "%.*s%s is %zu bytes, over PATH_MAX (%d)",
               PROF__CUT(path), n, PATH_MAX);
    return PROF_EOUTPUT;
  }
  for (const char *p = path; *p != 0;) {
    size_t k = strcspn(p, "/");
    if (k > NAME_MAX) {
      prof__errf(err, errlen, "a name in %.*s%s is %zu bytes, over NAME_MAX "
                 "(%d)", PROF__CUT(path), k, NAME_MAX);
      return PROF_EOUTPUT;
    }
    p += k + (p[k] == '/');
  }
  return 0;
}

int prof__export_check_path(const char *path, char *err, size_t errlen) {
  struct stat st;
  int r = prof__check_lengths(path, err, errlen);
  if (r != 0)
    return r;
  if (lstat(path, &st) == 0) {
    if (S_ISREG(st.st_mode))
      return 0;
    /* rename() would replace a device node, FIFO or socket (a root
     * process with LIBPROF_OUT=/dev/null would delete /dev/null), and
     * the link itself rather than its target. */
    prof__errf(err, errlen, "%.*s%s is %s; libprof writes only regular "
               "files and does not follow or replace symbolic links",
               PROF__CUT(path), prof__file_kind(st.st_mode));
    return PROF_EOUTPUT;
  }
  if (errno == ENOENT)
    return 0; /* a missing directory is found by prof__export_check_dir */
  prof__errf(err, errlen, "%.*s%s: %s", PROF__CUT(path),
             strerror(errno));
  return PROF_EOUTPUT;
}

/* Proves the directory of path takes a new file now, not at exit: creates
 * and removes a probe file (permissions alone do not tell: read-only
 * mounts, root, ACLs). */
static int prof__export_check_dir(const char *path, char *err,
                                  size_t errlen) {
  char probe[PATH_MAX + 32];
  const char *slash = strrchr(path, '/');
  /* "x" is in ".", "/x" in "/" */
  const char *dir = slash ? (slash == path ? "/" : path) : ".";
  int dirlen = slash && slash != path ? (int)(slash - path) : 1;
  snprintf(probe, sizeof(probe), "%.*s/.libprof-probe-XXXXXX", dirlen, dir);
  /* Close-on-exec: a thread of the program exec'ing meanwhile must not
   * inherit it. */
  int fd = mkostemp(probe, O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    prof__errf(err, errlen, "cannot create files in %.*s%s (%s); expected "
               "a path in an existing, writable directory",
               dirlen < PROF__SHOWN ? dirlen : PROF__SHOWN, dir,
               dirlen > PROF__SHOWN ? "..." : "", strerror(e));
    return PROF_EOUTPUT;
  }
  close(fd);
  unlink(probe);
  return 0;
}

int prof__export_check(const char *out, unsigned mask, char *err,
                       size_t errlen) {
  char path[PATH_MAX + 32];
  for (unsigned f = 1; f <= PROF__FMT_PPROF; f <<= 1) {
    if (!(mask & f))
      continue;
    int r = prof__format_path(out, mask, (enum prof__format)f, path,
                              sizeof(path));
    if (r != 0) {
      prof__errf(err, errlen, "%.*s%s is over PATH_MAX (%d)", PROF__CUT(out),
                 PATH_MAX);
      return PROF_EOUTPUT;
    }
    if ((r = prof__export_check_path(path, err, errlen)) != 0)
      return r;
  }
  /* Every sibling lives in out's directory. */
  return prof__export_check_dir(out, err, errlen);
}

int prof_output_check(const char *out, const char *formats, long pid,
                      char *errbuf, unsigned errlen) {
  char path[PATH_MAX + 32];
  int any = 0;
  if (out == NULL || *out == 0) {
    prof__errf(errbuf, errlen, "an output path is required");
    return PROF_EINVAL;
  }
  for (unsigned f = 1; f <= PROF__FMT_LAST; f <<= 1) {
    int r = prof_output_path(out, formats, prof__format_name(f), pid, path,
                             sizeof(path));
    if (r == PROF_EFORMAT)
      continue; /* not among formats */
    if (r != 0) {
      prof__errf(errbuf, errlen, "%.*s%s is over PATH_MAX (%d)",
                 PROF__CUT(out), PATH_MAX);
      return r;
    }
    if ((r = prof__export_check_path(path, errbuf, errlen)) != 0)
      return r;
    any = 1;
  }
  if (!any) {
    prof__errf(errbuf, errlen, "unknown output format list \"%.*s%s\"",
               PROF__CUT(formats ? formats : ""));
    return PROF_EFORMAT;
  }
  return prof__export_check_dir(path, errbuf, errlen);
}

/* Creates "<name>.tmp.<pid>.<n>" in path's directory with O_EXCL, so
 * concurrent writers (two threads, or parent and child after fork) never
 * share a temporary. The name is cut to 200 bytes first, so that the
 * temporary of any name under NAME_MAX fits NAME_MAX too. The mode 0666
 * goes through the umask like any file the host creates. */
static int prof__open_temp(const char *path, char **tmp_out) {
  static unsigned counter;
  size_t n = strlen(path) + 64;
  const char *slash = strrchr(path, '/');
  size_t base = slash ? (size_t)(slash + 1 - path) : 0;
  int keep = (int)(base + 200);
  char *tmp = malloc(n);
  if (tmp == NULL)
    return PROF_ENOMEM;
  for (int tries = 0; tries < 100; tries++) {
    unsigned k = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
    snprintf(tmp, n, "%.*s.tmp.%ld.%u", keep, path, (long)getpid(), k);
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
  char dir[PATH_MAX];
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

/* Writes the whole file through fd; fsync'd so that a crash after the
 * rename never leaves an empty or short file at path. */
static int prof__write_temp(const struct prof__model *m, enum prof__format f,
                            const struct prof__export_opts *o, int fd) {
  FILE *fp = fdopen(fd, "w");
  if (fp == NULL) {
    close(fd);
    return PROF_ENOMEM;
  }
  int rc = prof__export_stream(m, f, o, fp);
  if (rc == 0 && (fflush(fp) != 0 || fsync(fd) != 0))
    rc = PROF_EIO;
  int e = errno;
  if (fclose(fp) != 0 && rc == 0) {
    rc = PROF_EIO;
    e = errno;
  }
  errno = e;
  return rc;
}

int prof__export_file(const struct prof__model *m, enum prof__format f,
                      const struct prof__export_opts *o, const char *path) {
  char *tmp = NULL, why[256];
  if (m == NULL || path == NULL || *path == 0)
    return PROF_EINVAL;
  int fd = prof__open_temp(path, &tmp);
  if (fd < 0)
    return fd;
  int rc = prof__write_temp(m, f, o, fd);
  /* Checked again at the end: something other than a regular file may
   * have appeared at path since the session started. */
  if (rc == 0 && prof__export_check_path(path, why, sizeof(why)) != 0) {
    rc = PROF_EOUTPUT;
    errno = EEXIST;
  }
  if (rc == 0 && rename(tmp, path) != 0)
    rc = PROF_EOUTPUT;
  int e = errno;
  if (rc != 0)
    unlink(tmp);
  else
    prof__sync_dir(path);
  free(tmp);
  errno = e; /* what failed, for the caller's message */
  return rc;
}
