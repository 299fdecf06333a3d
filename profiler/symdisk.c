/* See symdisk.h. The file, all integers in this machine's byte order:
 *   header: "LPSYMC\0\0" | u32 version | u32 0x01020304 | u32 idlen |
 *           id[idlen] | u32 count
 *   count records: u64 off | u8 is_call | u8 nframes (>= 1) | frames
 *   frame: u8 flags (1 inlined, 2 raw, 4 has file) | u32 line |
 *          u16 n | name[n] (NUL-terminated) | [u16 n | file[n]]
 * Frames are innermost first, as prof__natsym_resolve emits them. */
#include "profiler/symdisk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/grow.h"

#define PROF__SYMDISK_VERSION 1u
#define PROF__SYMDISK_ORDER 0x01020304u
#define PROF__SYMDISK_MAX_FILE (64u << 20)
#define PROF__SYMDISK_REC_HDR 10 /* off, is_call, nframes */

static const char prof__symdisk_magic[8] = "LPSYMC\0";

struct prof__symrec {
  uint64_t off;
  uint32_t at, len; /* the record's bytes in buf */
  uint8_t call;
};

struct prof__symdisk {
  unsigned char id[64];
  int idlen;
  unsigned char *buf; /* the file's bytes, NULL when there was none */
  struct prof__symrec *recs; /* sorted by (off, call), unique */
  size_t nrecs;
  unsigned char *pend; /* records added this session, in file format */
  size_t npend, cappend;
  uint32_t npendrecs;
  size_t open_at; /* where the record being added starts */
  int open_ok;
};

int prof__symdisk_dir(const char *dir, char *why, size_t len) {
  struct stat st;
  const char *bad = NULL;
  if (mkdir(dir, 0700) != 0 && errno != EEXIST)
    bad = "cannot be created";
  int fd = bad ? -1
               : open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (!bad && fd < 0)
    bad = errno == ELOOP || errno == ENOTDIR ? "is a symlink or not a directory"
                                             : "cannot be opened";
  else if (!bad && fstat(fd, &st) != 0)
    bad = "cannot be read";
  else if (!bad && st.st_uid != geteuid())
    bad = "is owned by another user";
  else if (!bad && (st.st_mode & 022))
    bad = "is writable by others";
  else if (!bad && faccessat(fd, ".", W_OK | X_OK, AT_EACCESS) != 0)
    bad = "is not writable";
  if (!bad)
    return fd;
  if (fd >= 0)
    close(fd);
  snprintf(why, len,
           "libprof: LIBPROF_CACHE_DIR=\"%s\" %s; profiling without the "
           "symbol cache",
           dir, bad);
  return -1;
}

int prof__symdisk_open_env(const char *dir, char *why, size_t len) {
  if (!dir)
    dir = secure_getenv("LIBPROF_CACHE_DIR");
  why[0] = '\0';
  return dir && dir[0] ? prof__symdisk_dir(dir, why, len) : -1;
}

int prof__symdisk_check(const char *dir, char *why, size_t len) {
  int fd = prof__symdisk_open_env(dir, why, len - 1);
  if (fd >= 0)
    close(fd);
  if (fd >= 0 || !why[0])
    return 0;
  strcat(why, "\n");
  return -1;
}

static uint32_t prof__get32(const unsigned char *p) {
  uint32_t v;
  memcpy(&v, p, sizeof(v));
  return v;
}

static uint16_t prof__get16(const unsigned char *p) {
  uint16_t v;
  memcpy(&v, p, sizeof(v));
  return v;
}

/* Length of the NUL-terminated string with a u16 length at p, 0 if bad. */
static size_t prof__str_check(const unsigned char *p, size_t avail) {
  if (avail < 2)
    return 0;
  size_t n = prof__get16(p);
  return n >= 1 && n <= avail - 2 && p[2 + n - 1] == '\0' ? 2 + n : 0;
}

/* Length of the frame at p, 0 if it does not fit or is malformed. */
static size_t prof__frame_check(const unsigned char *p, size_t avail) {
  if (avail < 5 || (p[0] & ~7u))
    return 0;
  size_t at = 5, n = prof__str_check(p + at, avail - at);
  if (n == 0 || (!(p[0] & 2) && p[at + 2] == '\0')) /* raw: no name */
    return 0;
  at += n;
  if (p[0] & 4) {
    n = prof__str_check(p + at, avail - at);
    if (n == 0)
      return 0;
    at += n;
  }
  return at;
}

/* Length of the record at p, 0 if it does not fit or is malformed. */
static size_t prof__rec_check(const unsigned char *p, size_t avail) {
  if (avail < PROF__SYMDISK_REC_HDR || p[8] > 1 || p[9] == 0)
    return 0;
  size_t at = PROF__SYMDISK_REC_HDR;
  for (int i = 0; i < p[9]; i++) {
    size_t n = prof__frame_check(p + at, avail - at);
    if (n == 0)
      return 0;
    at += n;
  }
  return at;
}

static int prof__rec_cmp(const void *a, const void *b) {
  const struct prof__symrec *x = a, *y = b;
  if (x->off != y->off)
    return x->off < y->off ? -1 : 1;
  return (int)x->call - (int)y->call;
}

/* The header's size when it is valid for id, else 0. */
static size_t prof__hdr_check(const unsigned char *buf, size_t len,
                              const unsigned char *id, int idlen,
                              uint32_t *count) {
  size_t hdr = 20 + (size_t)idlen + 4;
  if (len < hdr || memcmp(buf, prof__symdisk_magic, 8) != 0 ||
      prof__get32(buf + 8) != PROF__SYMDISK_VERSION ||
      prof__get32(buf + 12) != PROF__SYMDISK_ORDER ||
      prof__get32(buf + 16) != (uint32_t)idlen ||
      memcmp(buf + 20, id, (size_t)idlen) != 0)
    return 0;
  *count = prof__get32(buf + 20 + idlen);
  return hdr;
}

/* Indexes the records of d->buf after the header; -1 if any is bad. */
static int prof__index(struct prof__symdisk *d, size_t at, size_t len,
                       uint32_t count) {
  if (count > (len - at) / PROF__SYMDISK_REC_HDR)
    return -1;
  d->recs = malloc((count ? count : 1) * sizeof(*d->recs));
  if (!d->recs)
    return -1;
  for (uint32_t i = 0; i < count; i++) {
    size_t n = prof__rec_check(d->buf + at, len - at);
    if (n == 0)
      return -1;
    uint64_t off;
    memcpy(&off, d->buf + at, sizeof(off));
    d->recs[i] = (struct prof__symrec){off, (uint32_t)at, (uint32_t)n,
                                       d->buf[at + 8]};
    at += n;
  }
  if (at != len)
    return -1;
  qsort(d->recs, count, sizeof(*d->recs), prof__rec_cmp);
  size_t n = 0; /* a PC resolved twice was recorded twice: keep one */
  for (uint32_t i = 0; i < count; i++)
    if (n == 0 || prof__rec_cmp(&d->recs[n - 1], &d->recs[i]) != 0)
      d->recs[n++] = d->recs[i];
  d->nrecs = n;
  return 0;
}

static struct prof__symdisk *prof__symdisk_new(const unsigned char *id,
                                               int idlen) {
  if (idlen < 2 || (size_t)idlen > sizeof(((struct prof__symdisk *)0)->id))
    return NULL;
  struct prof__symdisk *d = calloc(1, sizeof(*d));
  if (d) {
    memcpy(d->id, id, (size_t)idlen);
    d->idlen = idlen;
  }
  return d;
}

struct prof__symdisk *prof__symdisk_parse(const unsigned char *buf,
                                          size_t len, const unsigned char *id,
                                          int idlen) {
  uint32_t count;
  struct prof__symdisk *d = prof__symdisk_new(id, idlen);
  size_t hdr = d && len <= PROF__SYMDISK_MAX_FILE
                   ? prof__hdr_check(buf, len, id, idlen, &count) : 0;
  if (hdr == 0 || !(d->buf = malloc(len))) {
    prof__symdisk_free(d);
    return NULL;
  }
  memcpy(d->buf, buf, len);
  if (prof__index(d, hdr, len, count) != 0) {
    prof__symdisk_free(d);
    return NULL;
  }
  return d;
}

static void prof__file_name(const struct prof__symdisk *d, char *buf,
                            size_t len, const char *prefix) {
  static const char hex[] = "0123456789abcdef";
  char h[2 * 64 + 1];
  for (int i = 0; i < d->idlen; i++) {
    h[2 * i] = hex[d->id[i] >> 4];
    h[2 * i + 1] = hex[d->id[i] & 15];
  }
  h[2 * d->idlen] = '\0';
  snprintf(buf, len, "%s%s.sym", prefix, h);
}

/* The whole regular file name in dirfd, not through a symlink. */
static unsigned char *prof__read_file(int dirfd, const char *name,
                                      size_t *len) {
  struct stat st;
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  unsigned char *buf = NULL;
  if (fd < 0)
    return NULL;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
      st.st_size <= PROF__SYMDISK_MAX_FILE &&
      (buf = malloc((size_t)st.st_size))) {
    size_t got = 0;
    ssize_t n = 1;
    while (got < (size_t)st.st_size && n > 0)
      if ((n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
        got += (size_t)n;
      else if (n < 0 && errno == EINTR)
        n = 1;
    *len = got;
  }
  close(fd);
  return buf;
}

struct prof__symdisk *prof__symdisk_load(int dirfd, const unsigned char *id,
                                         int idlen) {
  struct prof__symdisk *d = prof__symdisk_new(id, idlen);
  char name[160];
  size_t len = 0;
  if (!d)
    return NULL;
  prof__file_name(d, name, sizeof(name), "");
  unsigned char *buf = prof__read_file(dirfd, name, &len);
  struct prof__symdisk *got = buf ? prof__symdisk_parse(buf, len, id, idlen)
                                  : NULL;
  free(buf);
  if (!got) /* none, or not valid: start afresh */
    return d;
  prof__symdisk_free(d);
  return got;
}

static const struct prof__symrec *prof__find(const struct prof__symdisk *d,
                                             uint64_t off, int is_call) {
  struct prof__symrec key = {.off = off, .call = is_call ? 1 : 0};
  return d->nrecs ? bsearch(&key, d->recs, d->nrecs, sizeof(*d->recs),
                            prof__rec_cmp)
                  : NULL;
}

int prof__symdisk_emit(const struct prof__symdisk *d, uint64_t off,
                       int is_call, const char *base, prof__symframe_fn fn,
                       void *arg) {
  const struct prof__symrec *r = prof__find(d, off, is_call);
  if (!r)
    return PROF__SYMDISK_MISS;
  const unsigned char *p = d->buf + r->at; /* checked by prof__index */
  int nframes = p[9];
  char raw[512];
  p += PROF__SYMDISK_REC_HDR;
  for (int i = 0; i < nframes; i++) {
    struct prof__symframe f = {(const char *)p + 7, NULL, prof__get32(p + 1),
                               p[0] & 1};
    int flags = p[0];
    p += 5 + 2 + prof__get16(p + 5);
    if (flags & 4) {
      f.file = (const char *)p + 2;
      p += 2 + prof__get16(p);
    }
    if (flags & 2) {
      snprintf(raw, sizeof(raw), "%s+0x%llx", base, (unsigned long long)off);
      f.name = raw;
    }
    int ret = fn(arg, &f);
    if (ret != 0)
      return ret;
  }
  return 0;
}

static void prof__put(struct prof__symdisk *d, const void *p, size_t n) {
  if (!d->open_ok)
    return;
  if (d->npend + n > PROF__SYMDISK_MAX_FILE ||
      prof__grow((void **)&d->pend, &d->cappend, d->npend + n, 1) != 0) {
    d->open_ok = 0;
    return;
  }
  memcpy(d->pend + d->npend, p, n);
  d->npend += n;
}

static void prof__put_str(struct prof__symdisk *d, const char *s) {
  size_t n = strlen(s) + 1;
  uint16_t n16 = (uint16_t)n;
  if (n > UINT16_MAX) {
    d->open_ok = 0;
    return;
  }
  prof__put(d, &n16, sizeof(n16));
  prof__put(d, s, n);
}

void prof__symdisk_begin(struct prof__symdisk *d, uint64_t off, int is_call) {
  unsigned char hdr[PROF__SYMDISK_REC_HDR] = {0};
  memcpy(hdr, &off, sizeof(off));
  hdr[8] = is_call ? 1 : 0;
  d->open_at = d->npend;
  d->open_ok = 1;
  prof__put(d, hdr, sizeof(hdr));
}

void prof__symdisk_frame(struct prof__symdisk *d,
                         const struct prof__symframe *f, int raw) {
  unsigned char *nframes = d->open_ok ? d->pend + d->open_at + 9 : NULL;
  if (!nframes || *nframes == UINT8_MAX) {
    d->open_ok = 0;
    return;
  }
  (*nframes)++;
  unsigned char flags =
      (f->inlined ? 1 : 0) | (raw ? 2 : 0) | (f->file ? 4 : 0);
  prof__put(d, &flags, 1);
  prof__put(d, &f->line, sizeof(f->line));
  prof__put_str(d, raw ? "" : f->name);
  if (f->file)
    prof__put_str(d, f->file);
}

void prof__symdisk_end(struct prof__symdisk *d, int ok) {
  if (ok && d->open_ok && d->pend[d->open_at + 9] > 0)
    d->npendrecs++;
  else
    d->npend = d->open_at; /* dropped */
  d->open_ok = 0;
}

static int prof__write_all(int fd, const void *p, size_t n) {
  const unsigned char *c = p;
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    c += w, n -= (size_t)w;
  }
  return 0;
}

/* Header, the records read (each once), then the ones added. */
static int prof__write_table(int fd, const struct prof__symdisk *d) {
  unsigned char hdr[20 + 64 + 4];
  uint32_t v[3] = {PROF__SYMDISK_VERSION, PROF__SYMDISK_ORDER,
                   (uint32_t)d->idlen};
  uint32_t count = (uint32_t)d->nrecs + d->npendrecs;
  memcpy(hdr, prof__symdisk_magic, 8);
  memcpy(hdr + 8, v, sizeof(v));
  memcpy(hdr + 20, d->id, (size_t)d->idlen);
  memcpy(hdr + 20 + d->idlen, &count, sizeof(count));
  if (prof__write_all(fd, hdr, 24 + (size_t)d->idlen) != 0)
    return -1;
  for (size_t i = 0; i < d->nrecs; i++)
    if (prof__write_all(fd, d->buf + d->recs[i].at, d->recs[i].len) != 0)
      return -1;
  return prof__write_all(fd, d->pend, d->npend);
}

void prof__symdisk_save(int dirfd, const struct prof__symdisk *d) {
  static unsigned serial;
  char name[160], tmp[200], prefix[64];
  if (!d || d->npendrecs == 0)
    return;
  prof__file_name(d, name, sizeof(name), "");
  snprintf(prefix, sizeof(prefix), ".%d.%u.", (int)getpid(),
           __atomic_add_fetch(&serial, 1, __ATOMIC_RELAXED));
  prof__file_name(d, tmp, sizeof(tmp), prefix);
  int fd = openat(dirfd, tmp,
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  int r = prof__write_table(fd, d);
  if (close(fd) != 0 || r != 0 || renameat(dirfd, tmp, dirfd, name) != 0)
    unlinkat(dirfd, tmp, 0); /* never a half-written cache file */
}

void prof__symdisk_free(struct prof__symdisk *d) {
  if (!d)
    return;
  free(d->buf);
  free(d->recs);
  free(d->pend);
  free(d);
}
