/* prof__read_profile (see writers.h): loads a file whole, tells the
 * format from its content, and hands it to the matching reader.
 * Thread-safe (no shared state); never in a signal handler. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export/writers.h"
#include "libprof.h"

/* Reads all of fd into a NUL-terminated malloc'd buffer. */
static int prof__slurp(int fd, char **buf, size_t *len) {
  size_t cap = 65536, n = 0;
  char *b = malloc(cap + 1);
  if (b == NULL)
    return PROF_ENOMEM;
  for (;;) {
    if (n == cap) {
      char *nb = cap > SIZE_MAX / 4 ? NULL : realloc(b, cap * 2 + 1);
      if (nb == NULL) {
        free(b);
        return PROF_ENOMEM;
      }
      b = nb;
      cap *= 2;
    }
    ssize_t r = read(fd, b + n, cap - n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      free(b);
      return PROF_EIO;
    }
    if (r == 0)
      break;
    n += (size_t)r;
  }
  b[n] = 0;
  *buf = b;
  *len = n;
  return 0;
}

static int prof__load(const char *path, char **buf, size_t *len, char *err,
                      size_t errlen) {
  struct stat st;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    prof__errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    return PROF_EIO;
  }
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    close(fd);
    prof__errf(err, errlen, "%s: is a directory", path);
    return PROF_EIO;
  }
  int rc = prof__slurp(fd, buf, len);
  int saved = errno;
  close(fd);
  if (rc == PROF_EIO)
    prof__errf(err, errlen, "%s: cannot read: %s", path, strerror(saved));
  else if (rc != 0)
    prof__errf(err, errlen, "%s: out of memory reading it", path);
  return rc;
}

int prof__read_mem(struct prof__model *m, const char *buf, size_t len,
                   char *err, size_t errlen) {
  const char *p = buf;
  while (p < buf + len && (*p == ' ' || *p == '\t' || *p == '\n' ||
                           *p == '\r'))
    p++;
  if (p == buf + len) {
    prof__errf(err, errlen, "empty file");
    return PROF_EFORMAT;
  }
  if (len >= 2 && (unsigned char)buf[0] == 0x1f &&
      (unsigned char)buf[1] == 0x8b)
    return prof__read_pprof(m, buf, len, err, errlen);
  if (memchr(buf, 0, len) != NULL) {
    prof__errf(err, errlen, "binary data, not a profile");
    return PROF_EFORMAT;
  }
  /* Both JSON formats are objects, whose first member's name is a string;
   * a line of collapsed stacks may start with '[' ("[truncated];main 5")
   * or with '{' (a frame named "{lambda}" at its root). */
  if (*p == '{') {
    const char *q = p + 1;
    while (q < buf + len && (*q == ' ' || *q == '\t' || *q == '\n' ||
                             *q == '\r'))
      q++;
    if (q == buf + len || *q == '"' || *q == '}')
      return prof__read_json(m, buf, len, err, errlen);
  }
  const char *w = secure_getenv("LIBPROF_COLLAPSED_WEIGHT");
  int ns = w != NULL && strcmp(w, "ns") == 0;
  return prof__read_collapsed(m, buf, len, ns, err, errlen);
}

int prof__read_profile(const char *path, struct prof__model **out, char *err,
                       size_t errlen) {
  char *buf = NULL, msg[512];
  size_t len = 0;
  *out = NULL;
  int rc = prof__load(path, &buf, &len, err, errlen);
  if (rc != 0)
    return rc;
  struct prof__model *m = prof__model_new();
  if (m == NULL) {
    free(buf);
    prof__errf(err, errlen, "%s: out of memory", path);
    return PROF_ENOMEM;
  }
  msg[0] = 0;
  rc = prof__read_mem(m, buf, len, msg, sizeof(msg));
  free(buf);
  if (rc != 0) {
    prof__errf(err, errlen, "%s: %s", path, msg[0] ? msg : "cannot read the profile");
    prof__model_free(m);
    return rc;
  }
  *out = m;
  return 0;
}
