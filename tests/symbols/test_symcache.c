/* The process-lifetime cache of debug information (profiler/symcache.h):
 * a second session in the same process names every PC exactly as the
 * first did, from the debug file the first one opened, and an object with
 * another build-id never gets the cached names. These call the
 * symbolizer directly on this process's own modules (this test program,
 * with its DWARF, and libc, with libc6-dbg's compressed debug file). */
#include <CUnit/Basic.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profiler/symbolize.h"
#include "profiler/symdisk.h"
#include "test_symcache.h"
#include "test_symbols_util.h"

#define CACHE_PCS 400

struct text {
  char *buf;
  size_t len, cap;
};

/* Appends each frame as "name|file|line|inlined\n". */
static int take_frame(void *arg, const struct prof__symframe *f) {
  struct text *t = arg;
  char line[1024];
  int n = snprintf(line, sizeof(line), "%s|%s|%u|%d\n", f->name,
                   f->file ? f->file : "", f->line, f->inlined);
  if (n < 0 || (size_t)n >= sizeof(line))
    return -1;
  if (t->len + (size_t)n + 1 > t->cap) {
    size_t cap = (t->cap ? t->cap * 2 : 1 << 16) + (size_t)n;
    char *b = realloc(t->buf, cap);
    if (!b)
      return -1;
    t->buf = b, t->cap = cap;
  }
  memcpy(t->buf + t->len, line, (size_t)n + 1);
  t->len += (size_t)n;
  return 0;
}

/* Resolves CACHE_PCS addresses spread over m's executable segments in a
 * new symbolizer (a new session), as return addresses; then, when debug
 * is not NULL, the middle of libc's msort_with_tmp (static: only the
 * debug file names it) and of qsort_r (in .dynsym too). */
static void resolve_spread(struct prof__modules *ms,
                           const struct prof__module *m, const char *debug,
                           struct text *t) {
  uint64_t total = 0;
  for (int i = 0; i < m->nseg; i++)
    total += (m->seg[i].flags & PF_X) ? m->seg[i].memsz : 0;
  struct prof__natsym *ns = prof__natsym_new(ms, NULL, NULL);
  CU_ASSERT_FATAL(ns != NULL && total > 0);
  for (uint64_t k = 0; k < CACHE_PCS; k++) {
    uint64_t off = total * k / CACHE_PCS + 5, base = 0;
    for (int i = 0; i < m->nseg; i++) {
      if (!(m->seg[i].flags & PF_X))
        continue;
      if (off < base + m->seg[i].memsz) {
        prof__natsym_resolve_in(ns, m, m->bias + m->seg[i].vaddr + off - base,
                                1, take_frame, t);
        break;
      }
      base += m->seg[i].memsz;
    }
  }
  const char *named[] = {"msort_with_tmp.part.0", "qsort_r"};
  for (int i = 0; debug && i < 2; i++) {
    uint64_t lo, hi;
    CU_ASSERT_FATAL(sym_elf_func(debug, named[i], &lo, &hi) == 0);
    prof__natsym_resolve_in(ns, m, m->bias + (lo + hi) / 2, 0, take_frame, t);
  }
  prof__natsym_free(ns);
}

/* Whether path is mapped in this process now. */
static int mapped(const char *path) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[4096];
  int found = 0;
  while (f && !found && fgets(line, sizeof(line), f))
    found = strstr(line, path) != NULL;
  if (f)
    fclose(f);
  return found;
}

static const struct prof__module *libc_module(struct prof__modules *ms,
                                              char *debug, size_t len) {
  const struct prof__module *m = prof__modules_find(ms, (uintptr_t)&qsort);
  char hex[129];
  CU_ASSERT_FATAL(m != NULL && m->build_id_len > 1);
  prof__module_build_id_hex(m, hex, sizeof(hex));
  snprintf(debug, len, "/usr/lib/debug/.build-id/%.2s/%s.debug", hex, hex + 2);
  return m;
}

/* Frames, files and lines of the second session equal the first's, and
 * come from the debug file the first one opened (still mapped between
 * the sessions: the old code closed it at the end of each session). */
void test_symcache_reuse(void) {
  struct prof__modules *ms = prof__modules_new();
  CU_ASSERT_FATAL(ms != NULL);
  char debug[512];
  const struct prof__module *libc = libc_module(ms, debug, sizeof(debug));
  const struct prof__module *self =
      prof__modules_find(ms, (uintptr_t)&test_symcache_reuse);
  CU_ASSERT_FATAL(self != NULL);
  struct text a = {0}, b = {0};
  CU_ASSERT_FATAL(!mapped(debug));
  resolve_spread(ms, libc, debug, &a);
  resolve_spread(ms, self, NULL, &a);
  CU_ASSERT(mapped(debug));
  struct prof__modules *ms2 = prof__modules_new(); /* as a new session */
  CU_ASSERT_FATAL(ms2 != NULL);
  resolve_spread(ms2, libc_module(ms2, debug, sizeof(debug)), debug, &b);
  resolve_spread(ms2, prof__modules_find(ms2, (uintptr_t)&test_symcache_reuse),
                 NULL, &b);
  CU_ASSERT_FATAL(a.buf != NULL && b.buf != NULL);
  CU_ASSERT_EQUAL(a.len, b.len);
  CU_ASSERT_STRING_EQUAL(a.buf, b.buf);
  /* Not a trivial match: libc's static functions and this file's lines. */
  CU_ASSERT(strstr(a.buf, "msort_with_tmp|") != NULL);
  CU_ASSERT(strstr(a.buf, "test_symcache.c|") != NULL);
  free(a.buf);
  free(b.buf);
  prof__modules_free(ms2);
  prof__modules_free(ms);
}

/* libc under another build-id (as if the file had been replaced): none
 * of the names only its debug file knows, although that file is cached,
 * in memory and in LIBPROF_CACHE_DIR. */
void test_symcache_build_id(void) {
  struct prof__modules *ms = prof__modules_new();
  char tmp[512];
  CU_ASSERT_FATAL(ms != NULL && sym_tmpdir(tmp, sizeof(tmp)) == 0);
  setenv("LIBPROF_CACHE_DIR", tmp, 1);
  char debug[512];
  struct prof__module other = *libc_module(ms, debug, sizeof(debug));
  struct text a = {0}, b = {0};
  resolve_spread(ms, &other, debug, &a); /* fills the cache */
  CU_ASSERT(mapped(debug));
  other.build_id[0] ^= 0xff;
  resolve_spread(ms, &other, debug, &b);
  CU_ASSERT_FATAL(a.buf != NULL && b.buf != NULL);
  CU_ASSERT(strstr(a.buf, "msort_with_tmp|") != NULL);
  CU_ASSERT(strstr(b.buf, "msort_with_tmp|") == NULL);
  CU_ASSERT(strstr(b.buf, ".c|") == NULL); /* no source lines at all */
  CU_ASSERT(strstr(b.buf, "qsort_r|") != NULL); /* from libc's .dynsym */
  free(a.buf);
  free(b.buf);
  prof__modules_free(ms);
  unsetenv("LIBPROF_CACHE_DIR");
  sym_rmtree(tmp);
}

/* One session over libc and this program, as test_symcache_reuse's. */
static void session(struct text *t) {
  struct prof__modules *ms = prof__modules_new();
  char debug[512];
  CU_ASSERT_FATAL(ms != NULL);
  const struct prof__module *libc = libc_module(ms, debug, sizeof(debug));
  resolve_spread(ms, libc, debug, t);
  resolve_spread(ms, prof__modules_find(ms, (uintptr_t)&test_symcache_reuse),
                 NULL, t);
  prof__modules_free(ms);
}

/* The cache file of libc in dir. */
static void libc_cache_file(const char *dir, char *path, size_t len) {
  struct prof__modules *ms = prof__modules_new();
  char debug[512], hex[129];
  CU_ASSERT_FATAL(ms != NULL);
  prof__module_build_id_hex(libc_module(ms, debug, sizeof(debug)), hex,
                            sizeof(hex));
  snprintf(path, len, "%s/%s.sym", dir, hex);
  prof__modules_free(ms);
}

static void expect_same(const struct text *ref) {
  struct text t = {0};
  session(&t);
  CU_ASSERT_FATAL(t.buf != NULL);
  CU_ASSERT_STRING_EQUAL(t.buf, ref->buf);
  free(t.buf);
}

static void rewrite(const char *path, long keep, const char *junk) {
  FILE *f = fopen(path, "r+");
  CU_ASSERT_FATAL(f != NULL);
  if (keep >= 0)
    CU_ASSERT_FATAL(ftruncate(fileno(f), keep) == 0);
  if (junk)
    fputs(junk, f);
  fclose(f);
}

/* LIBPROF_CACHE_DIR: created 0700, files 0600; a warm cache gives the
 * same frames, files and lines as the DWARF did, and is what is read (a
 * name changed in the file shows); a truncated, garbled or foreign file
 * is ignored and replaced. */
void test_symdisk(void) {
  char tmp[512], dir[600], file[800];
  struct stat st;
  struct text ref = {0};
  CU_ASSERT_FATAL(sym_tmpdir(tmp, sizeof(tmp)) == 0);
  snprintf(dir, sizeof(dir), "%s/cache", tmp);
  setenv("LIBPROF_CACHE_DIR", dir, 1);
  session(&ref); /* cold: fills the cache */
  libc_cache_file(dir, file, sizeof(file));
  CU_ASSERT_FATAL(stat(dir, &st) == 0);
  CU_ASSERT_EQUAL(st.st_mode & 07777, 0700);
  CU_ASSERT_FATAL(stat(file, &st) == 0);
  CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
  expect_same(&ref); /* warm */
  rewrite(file, st.st_size / 2, NULL);
  expect_same(&ref); /* truncated: ignored, and written again */
  CU_ASSERT(stat(file, &st) == 0 && st.st_size > 100);
  rewrite(file, -1, "garbage over the header");
  expect_same(&ref);
  char cmd[2000]; /* a name changed in place: the file is what is read */
  snprintf(cmd, sizeof(cmd), "sed -i 's/qsort_r/qsort_R/' '%s'", file);
  CU_ASSERT_FATAL(system(cmd) == 0);
  struct text t = {0};
  session(&t);
  CU_ASSERT(t.buf && strstr(t.buf, "qsort_R|") && !strstr(t.buf, "qsort_r|"));
  free(t.buf);
  free(ref.buf);
  unsetenv("LIBPROF_CACHE_DIR");
  sym_rmtree(tmp);
}

static void expect_refused(const char *dir, const char *reason,
                           const struct text *ref) {
  char why[600];
  setenv("LIBPROF_CACHE_DIR", dir, 1);
  CU_ASSERT_EQUAL(prof__symdisk_check(NULL, why, sizeof(why)), -1);
  CU_ASSERT(strstr(why, reason) != NULL);
  CU_ASSERT(strchr(why, '\n') == why + strlen(why) - 1); /* one line */
  expect_same(ref);
  unsetenv("LIBPROF_CACHE_DIR");
}

/* A cache dir that is a symlink, writable by others or not a directory is
 * refused with one line, and the profile is made without it. */
void test_symdisk_refused(void) {
  char tmp[512], real[600], link[600], file[600];
  struct text ref = {0};
  CU_ASSERT_FATAL(sym_tmpdir(tmp, sizeof(tmp)) == 0);
  session(&ref);
  snprintf(real, sizeof(real), "%s/real", tmp);
  snprintf(link, sizeof(link), "%s/link", tmp);
  snprintf(file, sizeof(file), "%s/file", tmp);
  CU_ASSERT_FATAL(mkdir(real, 0700) == 0 && symlink(real, link) == 0);
  expect_refused(link, "is a symlink", &ref);
  CU_ASSERT(rmdir(real) == 0); /* nothing was written through the link */
  CU_ASSERT_FATAL(mkdir(real, 0700) == 0 && chmod(real, 0777) == 0);
  expect_refused(real, "writable by others", &ref);
  CU_ASSERT(rmdir(real) == 0);
  FILE *f = fopen(file, "w");
  CU_ASSERT_FATAL(f != NULL);
  fclose(f);
  expect_refused(file, "not a directory", &ref);
  free(ref.buf);
  sym_rmtree(tmp);
}
