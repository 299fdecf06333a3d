/* bench/symbolize (issue 5): native symbolization throughput, cold and
 * warm, and the memory it takes; then the 1,000,000-sample export goal.
 *
 * Data sets (distinct PCs, each resolved through prof__natsym_resolve_in
 * with module records built from the files, as the collector's are):
 *  - "python3.11 Debian workload": the distinct native PCs of a real
 *    profile of /usr/bin/python3.11 running a mixed workload under libprof
 *    (Debian's interpreter has only .dynsym; libc/libm have DWARF through
 *    libc6-dbg's compressed debug files);
 *  - "python3.11 -g workload": the same with a python 3.11 built with
 *    DWARF in the object (pyenv's, 23 MB libpython), when present;
 *  - "libc spread", "libpython -g spread": 20,000 PCs spread evenly over
 *    the text, so that nearly every compile unit is indexed (worst case).
 * Cold: a fresh symbolizer, so debug files are found, opened and indexed.
 * Warm: the same PCs again on that symbolizer (per-PC cost alone).
 * 2nd ms: the same PCs in a new symbolizer of the same process, as the next
 * session gets them (debug information from the process-lifetime cache).
 * disk ms: the same PCs in a new process, with LIBPROF_CACHE_DIR filled by
 * a session before (the on-disk cache warm).
 * "libc 500": 500 PCs spread over libc, the goal of issue 14 (<= 20 ms).
 * Memory: growth over the cold pass, in MiB: "anon" is what it allocates
 * (indexes, libdw's caches, decompressed debug sections), "file" the
 * pages of mapped object and debug files it touched (page cache, shared).
 * Columns line%/sym%/raw%: how each PC's innermost frame was named (DWARF
 * with a line, ELF symbol only, module+0xoffset); fr/PC: frames per PC
 * (above 1: inlined frames).
 *
 * Usage: bench_symbolize LIBPROF_SO [SECONDS [PYENV_PREFIX]]
 *        (PYENV_PREFIX defaults to /root/.pyenv/versions/3.11.7)
 */
#include <elf.h>
#include <fcntl.h>
#include <jansson.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/symbolize_bench.h"
#include "profiler/symbolize.h"

#define BSYM_MAX_MODS 64

struct bsym_pc {
  uint32_t mod;
  uint64_t pc;
};

struct bsym_set {
  const char *name;
  struct prof__module mods[BSYM_MAX_MODS];
  size_t nmods;
  struct bsym_pc *pcs;
  size_t npcs;
};

double bsym_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* RssAnon (what symbolization allocates: indexes, libdw's caches and
 * decompressed sections) or RssFile (mapped files it touched, shared with
 * the page cache) from /proc/self/status, in bytes. */
size_t bsym_rss(int file) {
  char line[256];
  size_t kb = 0;
  FILE *f = fopen("/proc/self/status", "r");
  while (f && fgets(line, sizeof(line), f))
    if (strncmp(line, file ? "RssFile:" : "RssAnon:", 8) == 0)
      kb = strtoull(line + 8, NULL, 10);
  if (f)
    fclose(f);
  return kb * 1024;
}

static const char bsym_workload[] =
    "import json, re, random, collections, decimal, fractions, difflib, "
    "statistics, time\n"
    "end = time.process_time() + float(__import__('sys').argv[1])\n"
    "r = random.Random(1)\n"
    "while time.process_time() < end:\n"
    "    d = [{'k%d' % i: [r.random() for _ in range(5)], 's': 'x' * i}\n"
    "         for i in range(200)]\n"
    "    s = json.dumps(d); json.loads(s)\n"
    "    re.findall(r'[a-z]+\\d', s)\n"
    "    sorted(d, key=lambda x: len(x['s']))\n"
    "    collections.Counter(s)\n"
    "    sum(decimal.Decimal(i) / 7 for i in range(200))\n"
    "    sum(fractions.Fraction(i, 7) for i in range(50))\n"
    "    difflib.SequenceMatcher(None, s[:300], s[100:400]).ratio()\n"
    "    statistics.pstdev(r.random() for _ in range(300))\n";

static int bsym_profile_python(const char *libprof, const char *py,
                               const char *out, const char *secs) {
  pid_t pid = fork();
  if (pid == 0) {
    setenv("LD_PRELOAD", libprof, 1);
    setenv("LIBPROF_OUT", out, 1);
    setenv("LIBPROF_MODE", "itimer", 1);
    setenv("LIBPROF_HZ", "250", 1);
    setenv("LIBPROF_QUIET", "1", 1);
    execl(py, "python3.11", "-c", bsym_workload, secs, (char *)NULL);
    _exit(127);
  }
  int st;
  return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
                 WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* A module record for path as it would be loaded with its first
 * executable segment at text_start (the collector's fields). */
static int bsym_module(struct prof__module *m, uint32_t id, const char *path,
                       uint64_t text_start) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  memset(m, 0, sizeof(*m));
  if (fd < 0 || fstat(fd, &st) != 0)
    return fd >= 0 ? close(fd), -1 : -1;
  void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (p == MAP_FAILED)
    return -1;
  const ElfW(Ehdr) *eh = p;
  const ElfW(Phdr) *ph = (const void *)((const char *)p + eh->e_phoff);
  m->id = id, m->path = strdup(path), m->image = p;
  m->image_len = (size_t)st.st_size;
  for (int i = 0; i < eh->e_phnum; i++) {
    if (ph[i].p_type == PT_LOAD && m->nseg < PROF__MODULE_MAX_SEGS)
      m->seg[m->nseg++] = (struct prof__module_seg){
          ph[i].p_vaddr, ph[i].p_memsz, ph[i].p_offset, ph[i].p_filesz,
          ph[i].p_flags};
    if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X) && !m->bias)
      m->bias = text_start - ph[i].p_vaddr;
    if (ph[i].p_type == PT_NOTE && !m->build_id_len) {
      const ElfW(Nhdr) *nh = (const void *)((const char *)p + ph[i].p_offset);
      if (nh->n_type == NT_GNU_BUILD_ID && nh->n_descsz <= 64) {
        memcpy(m->build_id, (const char *)(nh + 1) + ((nh->n_namesz + 3) & ~3u),
               nh->n_descsz);
        m->build_id_len = (int)nh->n_descsz;
      }
    }
  }
  return 0;
}

static void bsym_set_free(struct bsym_set *s) {
  for (size_t i = 0; i < s->nmods; i++) {
    munmap((void *)s->mods[i].image, s->mods[i].image_len);
    free(s->mods[i].path);
  }
  free(s->pcs);
}

static int bsym_by_pc(const void *a, const void *b) {
  const struct bsym_pc *x = a, *y = b;
  if (x->mod != y->mod)
    return x->mod < y->mod ? -1 : 1;
  return (x->pc > y->pc) - (x->pc < y->pc);
}

/* The distinct (module, address) pairs of a speedscope profile. */
static int bsym_read_profile(const char *path, struct bsym_set *s) {
  json_t *root = json_load_file(path, 0, NULL);
  json_t *mods = json_object_get(json_object_get(root, "libprof"), "modules");
  json_t *frames = json_object_get(json_object_get(root, "shared"), "frames");
  int32_t map[BSYM_MAX_MODS];
  for (size_t i = 0; i < json_array_size(mods) && i < BSYM_MAX_MODS; i++) {
    json_t *o = json_array_get(mods, i);
    const char *p = json_string_value(json_object_get(o, "path"));
    const char *start = json_string_value(json_object_get(o, "start"));
    map[i] = -1;
    if (p && p[0] == '/' && start &&
        bsym_module(&s->mods[s->nmods], (uint32_t)s->nmods, p,
                    strtoull(start, NULL, 16)) == 0)
      map[i] = (int32_t)s->nmods++;
  }
  s->pcs = calloc(json_array_size(frames) + 1, sizeof(*s->pcs));
  for (size_t i = 0; s->pcs && i < json_array_size(frames); i++) {
    json_t *f = json_array_get(frames, i);
    json_t *mi = json_object_get(f, "module");
    const char *addr = json_string_value(json_object_get(f, "address"));
    size_t k = json_is_integer(mi) ? (size_t)json_integer_value(mi) : SIZE_MAX;
    if (addr && k < BSYM_MAX_MODS && k < json_array_size(mods) && map[k] >= 0)
      s->pcs[s->npcs++] =
          (struct bsym_pc){(uint32_t)map[k], strtoull(addr, NULL, 16)};
  }
  json_decref(root);
  if (!s->pcs)
    return -1;
  qsort(s->pcs, s->npcs, sizeof(*s->pcs), bsym_by_pc);
  size_t n = 0; /* inlined frames share their address: keep one */
  for (size_t i = 0; i < s->npcs; i++)
    if (n == 0 || bsym_by_pc(&s->pcs[n - 1], &s->pcs[i]) != 0)
      s->pcs[n++] = s->pcs[i];
  s->npcs = n;
  return n ? 0 : -1;
}

/* n PCs spread evenly over the executable segments of one file. */
static int bsym_spread(const char *path, size_t n, struct bsym_set *s) {
  if (bsym_module(&s->mods[0], 0, path, 0x7f0000001000ull) != 0)
    return -1;
  s->nmods = 1;
  const struct prof__module *m = &s->mods[0];
  uint64_t total = 0;
  for (int i = 0; i < m->nseg; i++)
    total += (m->seg[i].flags & PF_X) ? m->seg[i].memsz : 0;
  s->pcs = calloc(n, sizeof(*s->pcs));
  if (!s->pcs || total == 0)
    return -1;
  for (size_t k = 0; k < n; k++) {
    uint64_t off = total * k / n + 3, base = 0;
    for (int i = 0; i < m->nseg; i++) {
      if (!(m->seg[i].flags & PF_X))
        continue;
      if (off < base + m->seg[i].memsz) {
        s->pcs[s->npcs++] =
            (struct bsym_pc){0, m->bias + m->seg[i].vaddr + (off - base)};
        break;
      }
      base += m->seg[i].memsz;
    }
  }
  return 0;
}

struct bsym_count {
  size_t frames, line, sym, raw;
  int first;
};

static int bsym_take(void *arg, const struct prof__symframe *f) {
  struct bsym_count *c = arg;
  c->frames++;
  if (c->first) { /* classify each PC by its innermost frame */
    if (f->line)
      c->line++;
    else if (strchr(f->name, '+') && strstr(f->name, "+0x"))
      c->raw++;
    else
      c->sym++;
    c->first = 0;
  }
  return 0;
}

static double bsym_pass(struct prof__natsym *ns, struct bsym_set *s,
                        struct bsym_count *c) {
  double t0 = bsym_now();
  for (size_t i = 0; i < s->npcs; i++) {
    c->first = 1;
    prof__natsym_resolve_in(ns, &s->mods[s->pcs[i].mod], s->pcs[i].pc, 1,
                            bsym_take, c);
  }
  return bsym_now() - t0;
}

static void bsym_measure(struct bsym_set *s) {
  struct bsym_count cold = {0}, warm = {0};
  size_t anon0 = bsym_rss(0), file0 = bsym_rss(1);
  struct prof__natsym *ns = prof__natsym_new(NULL, NULL, NULL);
  if (!ns)
    return;
  double tc = bsym_pass(ns, s, &cold);
  size_t anon1 = bsym_rss(0), file1 = bsym_rss(1);
  double tw = bsym_pass(ns, s, &warm);
  prof__natsym_free(ns);
  /* The next session of this process: debug information from the
   * process-lifetime cache (symcache.h), CU indexes included. */
  ns = prof__natsym_new(NULL, NULL, NULL);
  double t2 = ns ? bsym_pass(ns, s, &warm) : 0;
  prof__natsym_free(ns);
  printf("%-26s %6zu %7.3f %9.0f %7.3f %9.0f %7.1f %6.1f %6.1f %5.1f %5.1f "
         "%5.1f %5.2f",
         s->name, s->npcs, tc, s->npcs / tc, tw, s->npcs / tw, t2 * 1e3,
         (double)(anon1 - anon0) / (1 << 20),
         (double)(file1 - file0) / (1 << 20), 100.0 * cold.line / s->npcs,
         100.0 * cold.sym / s->npcs, 100.0 * cold.raw / s->npcs,
         (double)cold.frames / s->npcs);
  fflush(stdout);
}

/* One session over the set with LIBPROF_CACHE_DIR=dir: timed (the
 * on-disk cache warm) or not (filling it). */
static void bsym_disk(struct bsym_set *s, int timed) {
  struct bsym_count c = {0};
  struct prof__natsym *ns = prof__natsym_new(NULL, NULL, NULL);
  double t = ns ? bsym_pass(ns, s, &c) : 0;
  prof__natsym_free(ns);
  if (timed)
    printf(" %7.1f\n", t * 1e3);
}

static void bsym_child(struct bsym_set *s, int what) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    if (what == 0)
      bsym_measure(s);
    else
      bsym_disk(s, what == 2);
    fflush(stdout);
    _exit(0);
  }
  int st;
  if (pid > 0)
    waitpid(pid, &st, 0);
}

/* Each pass runs in a child of its own, so that its memory figures do not
 * depend on what the sets before it freed, and the on-disk cache is
 * measured in a process that has not opened the debug files. */
static void bsym_run_set(struct bsym_set *s, const char *dir) {
  char cache[512], cmd[600];
  snprintf(cache, sizeof(cache), "%s/symcache", dir);
  bsym_child(s, 0);
  setenv("LIBPROF_CACHE_DIR", cache, 1);
  bsym_child(s, 1);
  bsym_child(s, 2);
  unsetenv("LIBPROF_CACHE_DIR");
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cache);
  if (system(cmd) != 0)
    fprintf(stderr, "cannot remove %s\n", cache);
}

static void bsym_python(const char *libprof, const char *py,
                        const char *name, const char *dir, const char *secs) {
  char out[256];
  struct bsym_set s = {.name = name};
  snprintf(out, sizeof(out), "%s/python.json", dir);
  if (access(py, X_OK) != 0)
    printf("%-26s (%s not found)\n", name, py);
  else if (bsym_profile_python(libprof, py, out, secs) == 0 &&
           bsym_read_profile(out, &s) == 0)
    bsym_run_set(&s, dir);
  else
    printf("%-26s (profile of %s failed)\n", name, py);
  bsym_set_free(&s);
  unlink(out);
}

static void bsym_spread_set(const char *path, const char *name, size_t n,
                            const char *dir) {
  struct bsym_set s = {.name = name};
  if (access(path, R_OK) == 0 && bsym_spread(path, n, &s) == 0)
    bsym_run_set(&s, dir);
  else
    printf("%-26s (%s not found)\n", name, path);
  bsym_set_free(&s);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s LIBPROF_SO [SECONDS [PYENV_PREFIX]]\n",
            argv[0]);
    return 2;
  }
  const char *secs = argc > 2 ? argv[2] : "4";
  const char *pyenv = argc > 3 ? argv[3] : "/root/.pyenv/versions/3.11.7";
  char dir[] = "/tmp/bench_symbolize.XXXXXX", py[512], lib[512];
  if (!mkdtemp(dir))
    return 1;
  snprintf(py, sizeof(py), "%s/bin/python3.11", pyenv);
  snprintf(lib, sizeof(lib), "%s/lib/libpython3.11.so.1.0", pyenv);
  printf("%-26s %6s %7s %9s %7s %9s %7s %6s %6s %5s %5s %5s %5s %7s\n",
         "data set", "PCs", "cold s", "cold PC/s", "warm s", "warm PC/s",
         "2nd ms", "anon", "file", "line%", "sym%", "raw%", "fr/PC",
         "disk ms");
  bsym_python(argv[1], "/usr/bin/python3.11", "python3.11 Debian workload",
              dir, secs);
  bsym_python(argv[1], py, "python3.11 -g workload", dir, secs);
  bsym_spread_set("/lib/x86_64-linux-gnu/libc.so.6", "libc 500 (libc6-dbg)",
                  500, dir);
  bsym_spread_set("/lib/x86_64-linux-gnu/libc.so.6", "libc spread (libc6-dbg)",
                  20000, dir);
  bsym_spread_set(lib, "libpython -g spread", 20000, dir);
  int r = bsym_export_bench(dir, 1000000, 20000);
  rmdir(dir);
  return r ? 1 : 0;
}
