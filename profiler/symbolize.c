/* Native symbolization, in order of preference for one PC:
 *   1. DWARF of the module or of its separate debug file: the inlined
 *      chain, each frame with its own name, file and line;
 *   2. ELF symbols: the debug file's .symtab (it names static functions
 *      the shipped object lost), else the .symtab of the object's
 *      MiniDebugInfo (.gnu_debugdata), then the object's .symtab, then
 *      .dynsym;
 *      file and line still come from the line table when there is one;
 *   3. "module+0xoffset" of the function's start, from its FDE in
 *      .eh_frame_hdr (symtab.c); of the PC itself without one.
 * Naming: a frame that was not inlined takes the ELF symbol's name when
 * one covers the PC (see prof__emit_dwarf), inlined frames the DWARF name;
 * both lose compiler clone suffixes and are demangled (demangle.h).
 * Each module's debug information is opened on its first PC and kept
 * until prof__natsym_free (the end of the session), then handed to the
 * process-lifetime cache of symcache.h for the next session. */
#include "profiler/symbolize.h"

#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "profiler/demangle.h"
#include "profiler/minidebug.h"
#include "profiler/stack.h"
#include "profiler/symcache.h"
#include "profiler/symdisk.h"

struct prof__modsym {
  int loaded;                   /* disk set up                          */
  int opened;                   /* dbg and tab opened                   */
  struct prof__symdisk *disk;   /* LIBPROF_CACHE_DIR's table, or NULL   */
  struct prof__dbg dbg;         /* debug information (symcache.h)       */
  unsigned char *mini;          /* MiniDebugInfo image, owned, or NULL  */
  struct prof__symtab *minitab; /* its .symtab                          */
  struct prof__symtab *tab;     /* the object's own .symtab or .dynsym  */
};

struct prof__natsym {
  struct prof__modules *ms;
  struct prof__modsym *mods; /* by module id, loaded on first use */
  uint32_t nmods;
  char **roots;
  char *dirs; /* LIBPROF_DEBUG_DIRS, the cache key with the build-id */
  int cachefd; /* LIBPROF_CACHE_DIR, or -1 */
  struct prof__demangler *dm;
};

struct prof__natsym *prof__natsym_new(struct prof__modules *ms,
                                      const char *debug_dirs,
                                      const char *cache_dir) {
  struct prof__natsym *ns = calloc(1, sizeof(*ns));
  if (!ns)
    return NULL;
  elf_version(EV_CURRENT);
  ns->ms = ms;
  char why[600]; /* said once, at the start of the session */
  ns->cachefd = prof__symdisk_open_env(cache_dir, why, sizeof(why));
  const char *dirs = debug_dirs ? debug_dirs
                                : secure_getenv("LIBPROF_DEBUG_DIRS");
  ns->dirs = strdup(dirs ? dirs : "");
  ns->roots = prof__debug_roots(dirs);
  ns->dm = prof__demangler_new();
  if (!ns->dirs || !ns->roots || !ns->dm) {
    prof__natsym_free(ns);
    return NULL;
  }
  return ns;
}

/* The debug information goes back to the process-lifetime cache: a
 * later session in this process reuses it (symcache.h). */
static void prof__modsym_close(struct prof__natsym *ns,
                               struct prof__modsym *s) {
  if (s->disk)
    prof__symdisk_save(ns->cachefd, s->disk);
  prof__symdisk_free(s->disk);
  prof__dbg_release(ns->dirs, &s->dbg);
  prof__symtab_free(s->minitab);
  free(s->mini);
  prof__symtab_free(s->tab);
  memset(s, 0, sizeof(*s));
}

void prof__natsym_free(struct prof__natsym *ns) {
  if (!ns)
    return;
  for (uint32_t i = 0; i < ns->nmods; i++)
    prof__modsym_close(ns, &ns->mods[i]);
  free(ns->mods);
  free(ns->roots);
  free(ns->dirs);
  if (ns->cachefd >= 0)
    close(ns->cachefd);
  prof__demangler_free(ns->dm);
  free(ns);
}

/* The module cache copies the vdso's loaded bytes, which end before its
 * section headers and so before its symbol table. The vdso is never
 * unmapped, so the live one (checked to be this module) serves whole. */
static const unsigned char *prof__vdso_image(const struct prof__module *m,
                                             size_t *len) {
  const ElfW(Ehdr) *eh = (const void *)getauxval(AT_SYSINFO_EHDR);
  *len = m->image_len;
  if (!eh || (uint64_t)(uintptr_t)eh != m->bias + m->seg[0].vaddr ||
      m->seg[0].offset != 0 || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
    return m->image;
  size_t end = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
  *len = end > m->image_len && end < (1u << 20) ? end : m->image_len;
  return (const unsigned char *)eh;
}

static void prof__modsym_open(struct prof__natsym *ns, struct prof__modsym *s,
                              const struct prof__module *m) {
  size_t len = m->image_len;
  const unsigned char *img = m->image;
  s->opened = 1;
  if (m->is_vdso && m->nseg > 0)
    img = prof__vdso_image(m, &len);
  prof__dbg_open(m, ns->dirs, ns->roots, &s->dbg);
  s->tab = prof__symtab_new(img, len);
  size_t mlen;
  if (!s->dbg.dbgtab && (s->mini = prof__minidebug_read(img, len, &mlen)))
    s->minitab = prof__symtab_new(s->mini, mlen);
}

static struct prof__modsym *prof__modsym(struct prof__natsym *ns,
                                         const struct prof__module *m) {
  if (m->id >= ns->nmods) {
    uint32_t n = m->id + 1;
    void *p = realloc(ns->mods, n * sizeof(*ns->mods));
    if (!p)
      return NULL;
    ns->mods = p;
    memset(ns->mods + ns->nmods, 0, (n - ns->nmods) * sizeof(*ns->mods));
    ns->nmods = n;
  }
  struct prof__modsym *s = &ns->mods[m->id];
  if (!s->loaded && ns->cachefd >= 0 && m->build_id_len > 0)
    s->disk = prof__symdisk_load(ns->cachefd, m->build_id, m->build_id_len);
  s->loaded = 1;
  return s;
}

static const char *prof__sym_name(const struct prof__modsym *s,
                                  uint64_t vaddr) {
  const char *name =
      s->dbg.dbgtab ? prof__symtab_lookup(s->dbg.dbgtab, vaddr) : NULL;
  if (!name && s->minitab)
    name = prof__symtab_lookup(s->minitab, vaddr);
  if (!name && s->tab)
    name = prof__symtab_lookup(s->tab, vaddr);
  return name;
}

struct prof__emit {
  struct prof__natsym *ns;
  const struct prof__modsym *s;
  uint64_t vaddr;
  prof__symframe_fn fn;
  void *arg;
  int ret;
};

/* Forwards one frame, recorded for the on-disk cache when there is one. */
static int prof__emit_out(struct prof__emit *e, const struct prof__symframe *f,
                          int raw) {
  if (e->s->disk)
    prof__symdisk_frame(e->s->disk, f, raw);
  return e->fn(e->arg, f);
}

/* prof__dwframe_fn: names and forwards one DWARF frame. The frame of the
 * function that was not inlined takes the ELF symbol's name when there is
 * one, so that a frame is named the same with or without debug info
 * (qsort_r, not glibc's internal __qsort_r); inlined frames exist only in
 * DWARF. */
static int prof__emit_dwarf(void *arg, const struct prof__dwframe *d) {
  struct prof__emit *e = arg;
  const char *name = d->inlined ? NULL : prof__sym_name(e->s, e->vaddr);
  if (!name)
    name = d->name;
  struct prof__symframe f = {
      name ? prof__demangle(e->ns->dm, name) : "[inlined]", d->file, d->line,
      d->inlined};
  e->ret = prof__emit_out(e, &f, 0);
  return e->ret;
}

static const char *prof__basename(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

/* No DWARF function here: the ELF symbol, with the line table's file and
 * line when the code has them (assembly does), else module+0xoffset. */
static int prof__emit_symbol(struct prof__emit *e,
                             const struct prof__module *m, uint64_t pc) {
  struct prof__symframe f = {NULL, NULL, 0, 0};
  char buf[512];
  int at_is_pc = 1;
  const char *name = prof__sym_name(e->s, e->vaddr);
  /* A signal handler "returns" to the first byte of the signal trampoline
   * (glibc's __restore_rt), so the call before it is in no symbol. */
  if (!name && e->vaddr != pc - m->bias)
    name = prof__sym_name(e->s, e->vaddr + 1);
  if (name) {
    f.name = prof__demangle(e->ns->dm, name);
    prof__dwlines_srcline(e->s->dbg.lines, e->vaddr, &f.file, &f.line);
  } else {
    /* Stripped code: named after its function's start (its FDE's), so
     * that every PC of one function is one frame. */
    uint64_t at = pc - m->bias;
    if (!e->s->tab || prof__symtab_fde_start(e->s->tab, e->vaddr, &at) != 0)
      at = pc - m->bias;
    at_is_pc = at == pc - m->bias;
    snprintf(buf, sizeof(buf), "%s+0x%llx", prof__basename(m->path),
             (unsigned long long)at);
    f.name = buf;
  }
  /* The disk cache rebuilds a raw name from the PC; a name after the
   * function's start must be kept as written. */
  return prof__emit_out(e, &f, !name && at_is_pc);
}

int prof__natsym_resolve(struct prof__natsym *ns, uint32_t module, uint64_t pc,
                         int is_call, prof__symframe_fn fn, void *arg) {
  const struct prof__module *m =
      module == PROF__NO_MODULE ? NULL : prof__modules_get(ns->ms, module);
  return prof__natsym_resolve_in(ns, m, pc, is_call, fn, arg);
}

int prof__natsym_resolve_in(struct prof__natsym *ns,
                            const struct prof__module *m, uint64_t pc,
                            int is_call, prof__symframe_fn fn, void *arg) {
  struct prof__symframe unknown = {"[unknown]", NULL, 0, 0};
  struct prof__modsym *s = m ? prof__modsym(ns, m) : NULL;
  if (!s)
    return fn(arg, &unknown);
  int r = s->disk ? prof__symdisk_emit(s->disk, pc - m->bias, is_call,
                                       prof__basename(m->path), fn, arg)
                  : PROF__SYMDISK_MISS;
  if (r != PROF__SYMDISK_MISS)
    return r;
  if (!s->opened)
    prof__modsym_open(ns, s, m);
  /* A return address belongs to the call before it (and may even be the
   * first byte of the next function), so its call instruction is looked
   * up; the interrupted PC is exact. */
  struct prof__emit e = {ns, s, pc - (is_call ? 1 : 0) - m->bias, fn, arg, 0};
  if (s->disk)
    prof__symdisk_begin(s->disk, pc - m->bias, is_call);
  int n = prof__dwlines_resolve(s->dbg.lines, e.vaddr, prof__emit_dwarf, &e);
  r = n < 0 ? e.ret : n > 0 ? 0 : prof__emit_symbol(&e, m, pc);
  if (s->disk)
    prof__symdisk_end(s->disk, r == 0);
  return r;
}
