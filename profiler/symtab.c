#include "profiler/symtab.h"

#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unwind/range.h"

#define PROF__ELFCLASS (__ELF_NATIVE_CLASS == 64 ? ELFCLASS64 : ELFCLASS32)

struct prof__sym {
  uint64_t addr, size;
  const char *name; /* points into the module image's string table */
  int rank;         /* binding: 0 global, 1 weak, 2 local           */
};

struct prof__symtab {
  struct prof__sym *syms;
  size_t n;
  char *plt_names;  /* "name@plt" strings of the PLT entries, owned */
  /* .eh_frame_hdr's search table: (start, fde) pairs of int32, relative
   * to the section's address, sorted by start; NULL if absent. */
  const int32_t *fdes;
  size_t nfdes;
  uint64_t hdr_addr;
};

static const ElfW(Shdr) *prof__section(const unsigned char *img, size_t len,
                                       uint32_t type) {
  const ElfW(Ehdr) *eh = (const void *)img;
  if (eh->e_shoff == 0 || eh->e_shentsize != sizeof(ElfW(Shdr)) ||
      eh->e_shoff % _Alignof(ElfW(Shdr)) != 0 ||
      !prof__range_in(eh->e_shoff,
                      (uint64_t)eh->e_shnum * sizeof(ElfW(Shdr)), 0, len))
    return NULL;
  const ElfW(Shdr) *sh = (const void *)(img + eh->e_shoff);
  for (int i = 0; i < eh->e_shnum; i++)
    if (sh[i].sh_type == type && sh[i].sh_link < eh->e_shnum)
      return &sh[i];
  return NULL;
}

static size_t prof__underscores(const char *s) {
  size_t n = 0;
  while (s[n] == '_')
    n++;
  return n;
}

/* Among aliases of one address, the name a reader knows: sized, global
 * before weak before local, fewest leading underscores, shortest. So
 * glibc's qsort_r beats __qsort_r and __GI___qsort_r, whether the names
 * come from .dynsym or from the debug file's .symtab. */
static int prof__by_addr(const void *a, const void *b) {
  const struct prof__sym *x = a, *y = b;
  if (x->addr != y->addr)
    return x->addr < y->addr ? -1 : 1;
  if ((x->size == 0) != (y->size == 0))
    return x->size == 0 ? 1 : -1;
  if (x->rank != y->rank)
    return x->rank - y->rank;
  size_t ux = prof__underscores(x->name), uy = prof__underscores(y->name);
  if (ux != uy)
    return ux < uy ? -1 : 1;
  size_t lx = strlen(x->name), ly = strlen(y->name);
  return (lx > ly) - (lx < ly);
}

static int prof__load(struct prof__symtab *t, const unsigned char *img,
                      size_t len, const ElfW(Shdr) *sh) {
  const ElfW(Ehdr) *eh = (const void *)img;
  const ElfW(Shdr) *strsh =
      (const ElfW(Shdr) *)(img + eh->e_shoff) + sh->sh_link;
  /* The file is untrusted: both tables inside it, the symbols aligned,
   * and the strings NUL-terminated before the table ends, so no name
   * read (strlen, the sort) can run past the image. */
  if (!prof__range_in(sh->sh_offset, sh->sh_size, 0, len) ||
      !prof__range_in(strsh->sh_offset, strsh->sh_size, 0, len) ||
      sh->sh_entsize == 0 || sh->sh_offset % _Alignof(ElfW(Sym)) != 0 ||
      strsh->sh_size == 0 ||
      img[strsh->sh_offset + strsh->sh_size - 1] != '\0')
    return 0;
  const char *str = (const char *)img + strsh->sh_offset;
  size_t count = sh->sh_size / sizeof(ElfW(Sym));
  t->syms = calloc(count ? count : 1, sizeof(*t->syms));
  if (!t->syms)
    return -1;
  const ElfW(Sym) *s = (const void *)(img + sh->sh_offset);
  for (size_t i = 0; i < count; i++) {
    int type = ELF64_ST_TYPE(s[i].st_info);
    if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s[i].st_shndx == 0 ||
        s[i].st_name >= strsh->sh_size || str[s[i].st_name] == '\0' ||
        s[i].st_value == 0) /* a nameless symbol would name no frame */
      continue;
    int bind = ELF64_ST_BIND(s[i].st_info);
    t->syms[t->n++] = (struct prof__sym){
        s[i].st_value, s[i].st_size, str + s[i].st_name,
        bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2};
  }
  qsort(t->syms, t->n, sizeof(*t->syms), prof__by_addr);
  return 0;
}

/* The section called name, or NULL. */
static const ElfW(Shdr) *prof__section_named(const unsigned char *img,
                                             size_t len, const char *name) {
  const ElfW(Ehdr) *eh = (const void *)img;
  const ElfW(Shdr) *any = prof__section(img, len, SHT_PROGBITS);
  if (!any || eh->e_shstrndx >= eh->e_shnum)
    return NULL;
  const ElfW(Shdr) *sh = (const void *)(img + eh->e_shoff);
  const ElfW(Shdr) *str = &sh[eh->e_shstrndx];
  if (!prof__range_in(str->sh_offset, str->sh_size, 0, len))
    return NULL;
  size_t k = strlen(name) + 1;
  for (int i = 0; i < eh->e_shnum; i++)
    if (sh[i].sh_name < str->sh_size && str->sh_size - sh[i].sh_name >= k &&
        memcmp(img + str->sh_offset + sh[i].sh_name, name, k) == 0)
      return &sh[i];
  return NULL;
}

/* Stripped code: an address no symbol covers still lies in the range of
 * its function's FDE, whose start .eh_frame_hdr lists. Version 1 with a
 * udata4/sdata4 count and datarel|sdata4 pairs, as GNU ld, gold and lld
 * write it (the same format fde.c reads). */
static void prof__load_fdes(struct prof__symtab *t, const unsigned char *img,
                            size_t len) {
  const ElfW(Shdr) *sh = prof__section_named(img, len, ".eh_frame_hdr");
  if (!sh || sh->sh_type != SHT_PROGBITS ||
      !prof__range_in(sh->sh_offset, sh->sh_size, 0, len) ||
      sh->sh_size < 12 || sh->sh_offset % 4 != 0)
    return;
  const unsigned char *h = img + sh->sh_offset;
  uint32_t count;
  memcpy(&count, h + 8, 4);
  if (h[0] != 1 || (h[2] != 0x03 && h[2] != 0x0b) || h[3] != 0x3b ||
      count > (sh->sh_size - 12) / 8)
    return;
  t->fdes = (const int32_t *)(h + 12);
  t->nfdes = count;
  t->hdr_addr = sh->sh_addr;
}

int prof__elf_section(const unsigned char *img, size_t len, const char *name,
                      const unsigned char **data, size_t *size) {
  if (!img || len < sizeof(ElfW(Ehdr)) || memcmp(img, ELFMAG, SELFMAG) != 0 ||
      img[EI_CLASS] != PROF__ELFCLASS)
    return -1;
  const ElfW(Shdr) *sh = prof__section_named(img, len, name);
  if (!sh || sh->sh_type != SHT_PROGBITS ||
      !prof__range_in(sh->sh_offset, sh->sh_size, 0, len))
    return -1;
  *data = img + sh->sh_offset;
  *size = sh->sh_size;
  return 0;
}

int prof__symtab_fde_start(const struct prof__symtab *t, uint64_t vaddr,
                           uint64_t *start) {
  size_t lo = 0, hi = t->nfdes;
  while (lo < hi) { /* how many FDEs start at or before vaddr */
    size_t mid = (lo + hi) / 2;
    if (t->hdr_addr + (uint64_t)(int64_t)t->fdes[2 * mid] <= vaddr)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0)
    return -1;
  *start = t->hdr_addr + (uint64_t)(int64_t)t->fdes[2 * (lo - 1)];
  return 0;
}

#if defined(__x86_64__)
#define PROF__PLT0 16u /* lazy-binding header before the first entry */
#define PROF__JUMP_SLOT R_X86_64_JUMP_SLOT
#elif defined(__aarch64__)
#define PROF__PLT0 32u
#define PROF__JUMP_SLOT R_AARCH64_JUMP_SLOT
#endif

/* The pieces of the PLT: .rela.plt, its symbols and strings, and where
 * entry i is (.plt.sec + 16 i with IBT, else .plt + PLT0 + 16 i). */
struct prof__plt {
  const ElfW(Rela) *rel;
  size_t nrel;
  const ElfW(Sym) *sym;
  size_t nsym;
  const char *str;
  size_t strsz;
  uint64_t base;
};

static int prof__plt_find(const unsigned char *img, size_t len,
                          struct prof__plt *p) {
  const ElfW(Ehdr) *eh = (const void *)img;
  const ElfW(Shdr) *rel = prof__section_named(img, len, ".rela.plt");
  const ElfW(Shdr) *sec = prof__section_named(img, len, ".plt.sec");
  const ElfW(Shdr) *plt = prof__section_named(img, len, ".plt");
  if (!rel || rel->sh_type != SHT_RELA || (!sec && !plt) ||
      rel->sh_link >= eh->e_shnum)
    return -1; /* a debug file's sections are NOBITS: no data to read */
  const ElfW(Shdr) *sh = (const void *)(img + eh->e_shoff);
  const ElfW(Shdr) *sym = &sh[rel->sh_link];
  if (sym->sh_link >= eh->e_shnum)
    return -1;
  const ElfW(Shdr) *str = &sh[sym->sh_link];
  if (sym->sh_type != SHT_DYNSYM || str->sh_type != SHT_STRTAB ||
      !prof__range_in(rel->sh_offset, rel->sh_size, 0, len) ||
      !prof__range_in(sym->sh_offset, sym->sh_size, 0, len) ||
      !prof__range_in(str->sh_offset, str->sh_size, 0, len) ||
      rel->sh_offset % _Alignof(ElfW(Rela)) != 0 ||
      sym->sh_offset % _Alignof(ElfW(Sym)) != 0 || str->sh_size == 0 ||
      img[str->sh_offset + str->sh_size - 1] != '\0')
    return -1;
  *p = (struct prof__plt){
      (const void *)(img + rel->sh_offset), rel->sh_size / sizeof(ElfW(Rela)),
      (const void *)(img + sym->sh_offset), sym->sh_size / sizeof(ElfW(Sym)),
      (const char *)img + str->sh_offset, str->sh_size,
      sec ? sec->sh_addr : plt->sh_addr + PROF__PLT0};
  return 0;
}

/* PLT stubs are named "symbol@plt", as perf and objdump name them (the
 * call went through the stub to that symbol), instead of module+0x1050.
 * 0, or -1 on ENOMEM; a module without a usable PLT adds nothing. */
static int prof__load_plt(struct prof__symtab *t, const unsigned char *img,
                          size_t len) {
#ifdef PROF__PLT0
  struct prof__plt p;
  if (prof__plt_find(img, len, &p) != 0 || p.nrel == 0)
    return 0;
  size_t bytes = 0;
  for (size_t i = 0; i < p.nrel; i++) {
    size_t k = ELF64_R_SYM(p.rel[i].r_info);
    if (k < p.nsym && p.sym[k].st_name < p.strsz)
      bytes += strlen(p.str + p.sym[k].st_name) + 5;
  }
  void *syms = realloc(t->syms, (t->n + p.nrel) * sizeof(*t->syms));
  if (syms)
    t->syms = syms;
  char *names = t->plt_names = malloc(bytes ? bytes : 1);
  if (!syms || !names)
    return -1;
  for (size_t i = 0; i < p.nrel; i++) {
    size_t k = ELF64_R_SYM(p.rel[i].r_info);
    if (ELF64_R_TYPE(p.rel[i].r_info) != PROF__JUMP_SLOT || k >= p.nsym ||
        p.sym[k].st_name >= p.strsz || !p.str[p.sym[k].st_name])
      continue;
    int n = sprintf(names, "%s@plt", p.str + p.sym[k].st_name);
    t->syms[t->n++] = (struct prof__sym){p.base + 16 * i, 16, names, 2};
    names += n + 1;
  }
  qsort(t->syms, t->n, sizeof(*t->syms), prof__by_addr);
#else
  (void)t, (void)img, (void)len;
#endif
  return 0;
}

struct prof__symtab *prof__symtab_new(const unsigned char *img, size_t len) {
  struct prof__symtab *t = calloc(1, sizeof(*t));
  if (!t || !img || len < sizeof(ElfW(Ehdr)) ||
      memcmp(img, ELFMAG, SELFMAG) != 0 || img[EI_CLASS] != PROF__ELFCLASS)
    return t;
  /* A .symtab emptied by strip, or NOBITS, falls through to .dynsym. */
  const ElfW(Shdr) *sh = prof__section(img, len, SHT_SYMTAB);
  if (sh && sh->sh_size <= sizeof(ElfW(Sym)))
    sh = NULL;
  if (!sh)
    sh = prof__section(img, len, SHT_DYNSYM);
  if ((sh && prof__load(t, img, len, sh) != 0) ||
      prof__load_plt(t, img, len) != 0) {
    prof__symtab_free(t);
    return NULL;
  }
  prof__load_fdes(t, img, len);
  return t;
}

size_t prof__symtab_count(const struct prof__symtab *t) { return t->n; }

void prof__symtab_free(struct prof__symtab *t) {
  if (!t)
    return;
  free(t->syms);
  free(t->plt_names);
  free(t);
}

size_t prof__count_le(const void *base, size_t n, size_t size,
                      uint64_t key) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    uint64_t v;
    memcpy(&v, (const char *)base + mid * size, sizeof(v));
    if (v <= key)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

const char *prof__symtab_lookup(const struct prof__symtab *t, uint64_t vaddr) {
  size_t lo = prof__count_le(t->syms, t->n, sizeof(*t->syms), vaddr);
  if (lo == 0)
    return NULL;
  /* Only the nearest preceding address counts; among its aliases, the
   * sort put sized ones first. */
  size_t first = lo - 1;
  while (first > 0 && t->syms[first - 1].addr == t->syms[lo - 1].addr)
    first--;
  for (size_t i = first; i < lo; i++) {
    const struct prof__sym *s = &t->syms[i];
    if (vaddr < s->addr + s->size || (s->size == 0 && vaddr == s->addr))
      return s->name;
  }
  return NULL;
}
