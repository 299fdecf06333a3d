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
 * until prof__natsym_free (the end of the session). */
#include "profiler/symbolize.h"

#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include "profiler/debuginfo.h"
#include "profiler/demangle.h"
#include "profiler/dwarf_lines.h"
#include "profiler/minidebug.h"
#include "profiler/stack.h"
#include "profiler/symtab.h"

struct prof__modsym {
  int loaded;
  struct prof__debuginfo di;
  struct prof__dwlines *lines;  /* NULL without DWARF                   */
  struct prof__symtab *dbgtab;  /* the separate debug file's symbols    */
  unsigned char *mini;          /* MiniDebugInfo image, owned, or NULL  */
  struct prof__symtab *minitab; /* its .symtab                          */
  struct prof__symtab *tab;     /* the object's own .symtab or .dynsym  */
};

struct prof__natsym {
  struct prof__modules *ms;
  struct prof__modsym *mods; /* by module id, loaded on first use */
  uint32_t nmods;
  char **roots;
  struct prof__demangler *dm;
};

struct prof__natsym *prof__natsym_new(struct prof__modules *ms) {
  struct prof__natsym *ns = calloc(1, sizeof(*ns));
  if (!ns)
    return NULL;
  elf_version(EV_CURRENT);
  ns->ms = ms;
  ns->roots = prof__debug_roots(secure_getenv("LIBPROF_DEBUG_DIRS"));
  ns->dm = prof__demangler_new();
  if (!ns->roots || !ns->dm) {
    prof__natsym_free(ns);
    return NULL;
  }
  return ns;
}

static void prof__modsym_close(struct prof__modsym *s) {
  prof__dwlines_free(s->lines);
  prof__symtab_free(s->dbgtab);
  prof__symtab_free(s->minitab);
  free(s->mini);
  prof__symtab_free(s->tab);
  prof__debuginfo_close(&s->di);
  memset(s, 0, sizeof(*s));
}

void prof__natsym_free(struct prof__natsym *ns) {
  if (!ns)
    return;
  for (uint32_t i = 0; i < ns->nmods; i++)
    prof__modsym_close(&ns->mods[i]);
  free(ns->mods);
  free(ns->roots);
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
  s->loaded = 1;
  if (m->is_vdso && m->nseg > 0)
    img = prof__vdso_image(m, &len);
  prof__debuginfo_open(m, ns->roots, &s->di);
  if (s->di.dw)
    s->lines = prof__dwlines_new(s->di.dw);
  if (s->di.sep.data)
    s->dbgtab = prof__symtab_new(s->di.sep.data, s->di.sep.len);
  s->tab = prof__symtab_new(img, len);
  size_t mlen;
  if (!s->dbgtab && (s->mini = prof__minidebug_read(img, len, &mlen)))
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
  if (!s->loaded)
    prof__modsym_open(ns, s, m);
  return s;
}

static const char *prof__sym_name(const struct prof__modsym *s,
                                  uint64_t vaddr) {
  const char *name = s->dbgtab ? prof__symtab_lookup(s->dbgtab, vaddr) : NULL;
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
  e->ret = e->fn(e->arg, &f);
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
  const char *name = prof__sym_name(e->s, e->vaddr);
  /* A signal handler "returns" to the first byte of the signal trampoline
   * (glibc's __restore_rt), so the call before it is in no symbol. */
  if (!name && e->vaddr != pc - m->bias)
    name = prof__sym_name(e->s, e->vaddr + 1);
  if (name) {
    f.name = prof__demangle(e->ns->dm, name);
    prof__dwlines_srcline(e->s->lines, e->vaddr, &f.file, &f.line);
  } else {
    /* Stripped code: named after its function's start (its FDE's), so
     * that every PC of one function is one frame. */
    uint64_t at = pc - m->bias;
    if (!e->s->tab || prof__symtab_fde_start(e->s->tab, e->vaddr, &at) != 0)
      at = pc - m->bias;
    snprintf(buf, sizeof(buf), "%s+0x%llx", prof__basename(m->path),
             (unsigned long long)at);
    f.name = buf;
  }
  return e->fn(e->arg, &f);
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
  /* A return address belongs to the call before it (and may even be the
   * first byte of the next function), so its call instruction is looked
   * up; the interrupted PC is exact. */
  struct prof__emit e = {ns, s, pc - (is_call ? 1 : 0) - m->bias, fn, arg, 0};
  int n = prof__dwlines_resolve(s->lines, e.vaddr, prof__emit_dwarf, &e);
  if (n < 0)
    return e.ret;
  if (n > 0)
    return 0;
  return prof__emit_symbol(&e, m, pc);
}
