/* The summary channel (see log.h). */
#include "profiler/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* Lowest number for our descriptor: far above what programs expect to be
 * free (shell-style 3..9, the first few files), below the limit. */
static int prof__log_floor(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return 1000;
  if (rl.rlim_cur > 2000)
    return 1000;
  return rl.rlim_cur > 16 ? (int)(rl.rlim_cur / 2) : 3;
}

static int prof__log_high(int fd) {
  int hi = fcntl(fd, F_DUPFD_CLOEXEC, prof__log_floor());
  if (hi < 0)
    hi = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  return hi;
}

static int prof__same(int fd, dev_t dev, ino_t ino) {
  struct stat st;
  return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == dev &&
         st.st_ino == ino;
}

int prof__log_open(struct prof__log *l, const char *path) {
  struct stat st;
  int fd;
  l->fd = -1;
  l->dev = 0;
  l->ino = 0;
  l->gone_since_ns = 0;
  l->is_dup = !path || !path[0];
  snprintf(l->path, sizeof(l->path), "%s", l->is_dup ? "" : path);
  if (l->is_dup) {
    fd = prof__log_high(STDERR_FILENO);
    if (fd < 0)
      return 0; /* no stderr: nothing to show, not an error */
  } else {
    int f = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (f < 0)
      return -errno;
    fd = prof__log_high(f);
    close(f);
    if (fd < 0)
      return -errno;
  }
  if (fstat(fd, &st) != 0) {
    close(fd);
    return 0;
  }
  l->fd = fd;
  l->dev = st.st_dev;
  l->ino = st.st_ino;
  return 0;
}

static void prof__write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return;
    p += w;
    n -= (size_t)w;
  }
}

void prof__log_write(const struct prof__log *l, const char *line) {
  int fd = -1;
  int flags = l->fd >= 0 ? fcntl(l->fd, F_GETFD) : -1;
  /* Ours: the same file, and still close-on-exec as we made it. */
  if (flags >= 0 && (flags & FD_CLOEXEC) && prof__same(l->fd, l->dev, l->ino))
    fd = l->fd;
  else if (l->is_dup && (l->fd < 0 || prof__same(STDERR_FILENO, l->dev,
                                                 l->ino)))
    fd = STDERR_FILENO; /* no dup taken, or ours was closed: fd 2 if same */
  if (fd >= 0) {
    prof__write_all(fd, line, strlen(line));
  } else if (!l->is_dup && l->path[0]) {
    /* Ours was closed (a daemon closes every descriptor): the file by
     * name, for this one write. */
    int f = open(l->path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (f >= 0) {
      prof__write_all(f, line, strlen(line));
      close(f);
    }
  }
}

#define PROF__LOG_GRACE_NS 1000000000u

void prof__log_check(struct prof__log *l, uint64_t now_ns) {
  struct stat st;
  if (!l->is_dup || l->fd < 0 || fstat(l->fd, &st) != 0 ||
      !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
    return;
  if (prof__same(STDERR_FILENO, l->dev, l->ino))
    l->gone_since_ns = 0;
  else if (!l->gone_since_ns)
    l->gone_since_ns = now_ns;
  else if (now_ns - l->gone_since_ns >= PROF__LOG_GRACE_NS)
    prof__log_close(l);
}

void prof__log_close(struct prof__log *l) {
  if (l->fd >= 0 && prof__same(l->fd, l->dev, l->ino))
    close(l->fd);
  l->fd = -1;
}
