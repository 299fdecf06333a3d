/* See dwarf_lines.h for why each CU is indexed once. */
#include "base/grow.h"
#include "profiler/dwarf_lines.h"

#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/symtab.h"

/* One address range of a function or inlined instance (lo first: it is
 * searched with prof__count_le). */
struct prof__dwpiece {
  uint64_t lo, hi;
  uint32_t func;
  uint32_t depth; /* DIE nesting depth: the tie-break of equal lo */
};

struct prof__dwfunc {
  Dwarf_Off die;
  int32_t parent;  /* enclosing function or inlined instance, or -1 */
  uint32_t first;  /* its ranges: franges[first .. first + n)       */
  uint32_t n;
  int inlined;
};

struct prof__dwcu {
  Dwarf_Off die;
  int state; /* 0: not indexed yet, 1: indexed, -1: failed */
  struct prof__dwfunc *funcs;
  uint32_t nfuncs;
  size_t capfuncs;
  struct prof__dwpiece *franges; /* by function, in DIE order */
  struct prof__dwpiece *pieces;  /* the same, sorted by (lo, depth) */
  uint32_t npieces;
  size_t cappieces;
};

struct prof__dwcurange {
  uint64_t lo, hi;
  Dwarf_Off cu; /* the CU's DIE offset */
};

/* CUs are found through .debug_aranges when the object has it (GCC's
 * default): libdw reads that small section in well under a millisecond,
 * where walking every CU header and its ranges costs several (libc: 2063
 * CUs, 5-10 ms). A PC the aranges do not cover falls back, once, to
 * reading the ranges of every CU, so an incomplete .debug_aranges never
 * loses a name. Only the CUs that PCs fall in get an entry and an index. */
struct prof__dwlines {
  Dwarf *dw;
  Dwarf_Aranges *aranges;         /* NULL: none, or not usable         */
  size_t naranges;
  struct prof__dwcu *cus;         /* those met so far, sorted by die   */
  uint32_t ncus;
  size_t capcus;
  int scanned;                    /* ranges below read (every CU's)    */
  struct prof__dwcurange *ranges; /* sorted by lo */
  uint32_t nranges;
  size_t capranges;
};

static int prof__by_lo(const void *a, const void *b) {
  const struct prof__dwpiece *x = a, *y = b;
  if (x->lo != y->lo)
    return x->lo < y->lo ? -1 : 1;
  return (x->depth > y->depth) - (x->depth < y->depth);
}

static int prof__cur_by_lo(const void *a, const void *b) {
  const struct prof__dwcurange *x = a, *y = b;
  return (x->lo > y->lo) - (x->lo < y->lo);
}

/* The next non-empty address range of die (*off starts at 0). Address 0
 * is where a linker leaves functions it discarded: skipped. */
static int prof__next_range(Dwarf_Die *die, ptrdiff_t *off, Dwarf_Addr *lo,
                            Dwarf_Addr *hi) {
  Dwarf_Addr base;
  while ((*off = dwarf_ranges(die, *off, &base, lo, hi)) > 0)
    if (*lo != 0 && *lo < *hi)
      return 1;
  return 0;
}

static int prof__add_cu_ranges(struct prof__dwlines *x, Dwarf_Die *cudie,
                               Dwarf_Off cu) {
  Dwarf_Addr lo, hi;
  ptrdiff_t off = 0;
  while (prof__next_range(cudie, &off, &lo, &hi)) {
    if (prof__grow((void **)&x->ranges, &x->capranges, x->nranges + 1,
                   sizeof(*x->ranges)))
      return -1;
    x->ranges[x->nranges++] = (struct prof__dwcurange){lo, hi, cu};
  }
  return 0;
}

static int prof__off_cmp(const void *a, const void *b) {
  Dwarf_Off x = *(const Dwarf_Off *)a, y = *(const Dwarf_Off *)b;
  return (x > y) - (x < y);
}

/* The CUs .debug_aranges describes (sorted; *n of them), or NULL. */
static Dwarf_Off *prof__aranges_cus(struct prof__dwlines *x, size_t *n) {
  Dwarf_Off *offs = malloc((x->naranges + 1) * sizeof(*offs));
  *n = 0;
  for (size_t i = 0; offs && i < x->naranges; i++) {
    Dwarf_Arange *a = dwarf_onearange(x->aranges, i);
    if (a && dwarf_getarangeinfo(a, NULL, NULL, &offs[*n]) == 0)
      (*n)++;
  }
  if (!offs)
    return NULL;
  qsort(offs, *n, sizeof(*offs), prof__off_cmp);
  size_t k = 0; /* a CU has one entry per range: count it once */
  for (size_t i = 0; i < *n; i++)
    if (k == 0 || offs[k - 1] != offs[i])
      offs[k++] = offs[i];
  *n = k;
  return offs;
}

/* Only compile units hold code; type and partial units are skipped, and
 * so are CUs .debug_aranges already covers (a PC they hold was found).
 * Units are walked by their headers, and only the DIEs of the others are
 * read (libc: 126 data-only CUs of 2063). */
static int prof__read_cus(struct prof__dwlines *x) {
  Dwarf_Off off = 0, next;
  size_t hsize, nskip = 0;
  Dwarf_Die cudie;
  Dwarf_Off *skip = x->aranges ? prof__aranges_cus(x, &nskip) : NULL;
  x->scanned = 1;
  while (dwarf_next_unit(x->dw, off, &next, &hsize, NULL, NULL, NULL, NULL,
                         NULL, NULL) == 0) {
    Dwarf_Off die = off + hsize;
    off = next;
    if ((skip && bsearch(&die, skip, nskip, sizeof(*skip), prof__off_cmp)) ||
        !dwarf_offdie(x->dw, die, &cudie) ||
        dwarf_tag(&cudie) != DW_TAG_compile_unit)
      continue;
    if (prof__add_cu_ranges(x, &cudie, die) != 0) {
      x->nranges = 0; /* never searched unsorted */
      free(skip);
      return -1;
    }
  }
  free(skip);
  if (x->nranges) /* ranges is NULL without any: not for qsort */
    qsort(x->ranges, x->nranges, sizeof(*x->ranges), prof__cur_by_lo);
  return 0;
}

struct prof__dwlines *prof__dwlines_new(Dwarf *dw) {
  struct prof__dwlines *x = calloc(1, sizeof(*x));
  if (!x)
    return NULL;
  x->dw = dw;
  if (dwarf_getaranges(dw, &x->aranges, &x->naranges) != 0 ||
      x->naranges == 0)
    x->aranges = NULL; /* owned by dw either way */
  if (!x->aranges && prof__read_cus(x) != 0) {
    prof__dwlines_free(x);
    return NULL;
  }
  return x;
}

static void prof__cu_clear(struct prof__dwcu *cu) {
  free(cu->funcs);
  free(cu->franges);
  free(cu->pieces);
  cu->funcs = NULL, cu->franges = cu->pieces = NULL;
  cu->nfuncs = cu->npieces = cu->capfuncs = cu->cappieces = 0;
}

void prof__dwlines_free(struct prof__dwlines *x) {
  if (!x)
    return;
  for (uint32_t i = 0; i < x->ncus; i++)
    prof__cu_clear(&x->cus[i]);
  free(x->cus);
  free(x->ranges);
  free(x);
}

/* Records die (a function with code) and its ranges. Returns its index,
 * -1 when it has no code here, -2 on ENOMEM. */
static int32_t prof__add_func(struct prof__dwcu *cu, Dwarf_Die *die,
                              int32_t parent, uint32_t depth, int inlined) {
  Dwarf_Addr lo, hi;
  ptrdiff_t off = 0;
  uint32_t first = cu->npieces;
  while (prof__next_range(die, &off, &lo, &hi)) {
    if (prof__grow((void **)&cu->franges, &cu->cappieces, cu->npieces + 1,
                   sizeof(*cu->franges)))
      return -2;
    cu->franges[cu->npieces++] =
        (struct prof__dwpiece){lo, hi, cu->nfuncs, depth};
  }
  if (cu->npieces == first)
    return -1;
  if (prof__grow((void **)&cu->funcs, &cu->capfuncs, cu->nfuncs + 1,
                 sizeof(*cu->funcs)))
    return -2;
  cu->funcs[cu->nfuncs] = (struct prof__dwfunc){
      dwarf_dieoffset(die), parent, first, cu->npieces - first, inlined};
  return (int32_t)cu->nfuncs++;
}

/* Walks the children of parent_die. Types are not entered: no compiler
 * puts code inside them; namespaces and blocks may hold functions. */
static int prof__walk(struct prof__dwcu *cu, Dwarf_Die *parent_die,
                      int32_t parent, uint32_t depth) {
  Dwarf_Die die;
  if (depth > 256 || dwarf_child(parent_die, &die) != 0)
    return 0;
  do {
    int tag = dwarf_tag(&die), r = 0;
    int32_t f = parent;
    if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine) {
      f = prof__add_func(cu, &die, parent, depth,
                         tag == DW_TAG_inlined_subroutine);
      if (f == -2)
        return -1;
      if (f >= 0 && dwarf_haschildren(&die))
        r = prof__walk(cu, &die, f, depth + 1);
    } else if (tag == DW_TAG_lexical_block || tag == DW_TAG_namespace ||
               tag == DW_TAG_try_block || tag == DW_TAG_catch_block ||
               tag == DW_TAG_module) {
      if (dwarf_haschildren(&die))
        r = prof__walk(cu, &die, parent, depth + 1);
    }
    if (r != 0)
      return -1;
  } while (dwarf_siblingof(&die, &die) == 0);
  return 0;
}

static int prof__index_cu(struct prof__dwlines *x, struct prof__dwcu *cu) {
  Dwarf_Die cudie;
  cu->state = -1;
  if (!dwarf_offdie(x->dw, cu->die, &cudie) ||
      prof__walk(cu, &cudie, -1, 1) != 0) {
    prof__cu_clear(cu);
    return -1;
  }
  /* The index lives until the end: give back the growth slack. */
  void *f = realloc(cu->funcs, (cu->nfuncs + 1) * sizeof(*cu->funcs));
  void *r = realloc(cu->franges, (cu->npieces + 1) * sizeof(*cu->franges));
  if (f)
    cu->funcs = f, cu->capfuncs = cu->nfuncs + 1;
  if (r)
    cu->franges = r, cu->cappieces = cu->npieces + 1;
  cu->pieces = malloc((cu->npieces ? cu->npieces : 1) * sizeof(*cu->pieces));
  if (!cu->pieces) {
    prof__cu_clear(cu);
    return -1;
  }
  memcpy(cu->pieces, cu->franges, cu->npieces * sizeof(*cu->pieces));
  qsort(cu->pieces, cu->npieces, sizeof(*cu->pieces), prof__by_lo);
  cu->state = 1;
  return 0;
}

/* The entry of the CU whose DIE is at die, added (not yet indexed) on
 * first use. Adding moves the others: a pointer is good until the next
 * call. NULL on ENOMEM. */
static struct prof__dwcu *prof__cu_at(struct prof__dwlines *x, Dwarf_Off die) {
  uint32_t lo = 0, hi = x->ncus;
  while (lo < hi) {
    uint32_t mid = (lo + hi) / 2;
    if (x->cus[mid].die < die)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < x->ncus && x->cus[lo].die == die)
    return &x->cus[lo];
  if (prof__grow((void **)&x->cus, &x->capcus, x->ncus + 1, sizeof(*x->cus)))
    return NULL;
  memmove(&x->cus[lo + 1], &x->cus[lo], (x->ncus - lo) * sizeof(*x->cus));
  x->ncus++;
  x->cus[lo] = (struct prof__dwcu){.die = die};
  return &x->cus[lo];
}

/* The DIE offset of the CU covering vaddr: from .debug_aranges, else from
 * every CU's own ranges (read on the first PC that needs them). */
static int prof__cu_of(struct prof__dwlines *x, uint64_t vaddr,
                       Dwarf_Off *die) {
  Dwarf_Arange *a =
      x->aranges ? dwarf_getarange_addr(x->aranges, vaddr) : NULL;
  if (a && dwarf_getarangeinfo(a, NULL, NULL, die) == 0)
    return 0;
  if (!x->scanned && prof__read_cus(x) != 0)
    return -1;
  uint32_t lo = (uint32_t)prof__count_le(x->ranges, x->nranges,
                                         sizeof(*x->ranges), vaddr);
  /* CU ranges should not overlap; look back a little in case they do. */
  for (uint32_t i = lo, k = 0; i-- > 0 && k < 8; k++) {
    if (vaddr < x->ranges[i].hi) {
      *die = x->ranges[i].cu;
      return 0;
    }
  }
  return -1;
}

/* The CU whose ranges contain vaddr (indexed on first use), or NULL. The
 * pointer is good until the next call. */
static struct prof__dwcu *prof__find_cu(struct prof__dwlines *x,
                                        uint64_t vaddr) {
  Dwarf_Off die;
  struct prof__dwcu *cu =
      prof__cu_of(x, vaddr, &die) == 0 ? prof__cu_at(x, die) : NULL;
  if (cu && cu->state == 0)
    prof__index_cu(x, cu);
  return cu && cu->state == 1 ? cu : NULL;
}

static int prof__func_has(const struct prof__dwcu *cu, int32_t f,
                          uint64_t vaddr) {
  const struct prof__dwfunc *fn = &cu->funcs[f];
  for (uint32_t i = fn->first; i < fn->first + fn->n; i++)
    if (vaddr >= cu->franges[i].lo && vaddr < cu->franges[i].hi)
      return 1;
  return 0;
}

/* The innermost function containing vaddr: ranges nest like their DIEs,
 * so it is the last piece starting at or before vaddr when that piece
 * contains it, else the first of that piece's ancestors that does. */
static int32_t prof__innermost(const struct prof__dwcu *cu, uint64_t vaddr) {
  uint32_t lo = (uint32_t)prof__count_le(cu->pieces, cu->npieces,
                                         sizeof(*cu->pieces), vaddr);
  if (lo == 0)
    return -1;
  const struct prof__dwpiece *p = &cu->pieces[lo - 1];
  if (vaddr < p->hi)
    return (int32_t)p->func;
  int32_t f = cu->funcs[p->func].parent;
  for (int steps = 0; f >= 0 && steps < 512; steps++) {
    if (prof__func_has(cu, f, vaddr))
      return f;
    f = cu->funcs[f].parent;
  }
  return -1;
}

/* The linkage name only when it is mangled (C++, Rust): it then carries
 * the qualified name and signature. A C linkage name is an asm label
 * (glibc's __GI___qsort_r), less telling than the source name. */
static const char *prof__die_name(Dwarf_Die *die) {
  Dwarf_Attribute a;
  const char *link =
      dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &a));
  if (!link)
    link = dwarf_formstring(
        dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a));
  if (link && link[0] == '_' && (link[1] == 'Z' || link[1] == 'R'))
    return link;
  const char *name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &a));
  if (!name || !name[0]) /* an empty name names nothing */
    name = link;
  return name && name[0] ? name : NULL;
}

/* Where an inlined instance was called from: its DW_AT_call_file/line. */
static void prof__call_site(Dwarf_Die *cudie, Dwarf_Die *die,
                            const char **file, uint32_t *line) {
  Dwarf_Attribute a;
  Dwarf_Word idx = 0, ln = 0;
  Dwarf_Files *files;
  size_t nfiles;
  *file = NULL;
  *line = 0;
  if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &a), &ln) == 0)
    *line = (uint32_t)ln;
  if (dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &a), &idx) == 0 &&
      dwarf_getsrcfiles(cudie, &files, &nfiles) == 0 && idx < nfiles)
    *file = dwarf_filesrc(files, idx, NULL, NULL);
}

static void prof__line_of(Dwarf_Die *cudie, uint64_t vaddr, const char **file,
                          uint32_t *line) {
  Dwarf_Line *l = dwarf_getsrc_die(cudie, vaddr);
  int n = 0;
  *file = l ? dwarf_linesrc(l, NULL, NULL) : NULL;
  *line = l && dwarf_lineno(l, &n) == 0 && n > 0 ? (uint32_t)n : 0;
}

int prof__dwlines_resolve(struct prof__dwlines *x, uint64_t vaddr,
                          prof__dwframe_fn fn, void *arg) {
  struct prof__dwcu *cu = x ? prof__find_cu(x, vaddr) : NULL;
  int32_t f = cu ? prof__innermost(cu, vaddr) : -1;
  Dwarf_Die cudie, die;
  if (f < 0 || !dwarf_offdie(x->dw, cu->die, &cudie))
    return 0;
  struct prof__dwframe fr;
  prof__line_of(&cudie, vaddr, &fr.file, &fr.line);
  int n = 0;
  for (; f >= 0 && n < 256; f = cu->funcs[f].parent) {
    if (!dwarf_offdie(x->dw, cu->funcs[f].die, &die))
      break;
    fr.name = prof__die_name(&die);
    fr.inlined = cu->funcs[f].inlined;
    if (fn(arg, &fr) != 0)
      return -1;
    n++;
    if (!fr.inlined) /* a function's frame ends the chain */
      break;
    prof__call_site(&cudie, &die, &fr.file, &fr.line);
  }
  return n;
}

int prof__dwlines_srcline(struct prof__dwlines *x, uint64_t vaddr,
                          const char **file, uint32_t *line) {
  struct prof__dwcu *cu = x ? prof__find_cu(x, vaddr) : NULL;
  Dwarf_Die cudie;
  if (!cu || !dwarf_offdie(x->dw, cu->die, &cudie))
    return -1;
  prof__line_of(&cudie, vaddr, file, line);
  return *file || *line ? 0 : -1;
}
