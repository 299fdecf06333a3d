/* Fuzz target: libprof's readers of ELF and DWARF files on a corrupted
 * object. The input is the file. It goes through
 *   - the module cache's build-id check (unwind/modules.c),
 *   - the ELF symbol tables (profiler/symtab.c),
 *   - the whole native symbolizer (profiler/symbolize.c: debuginfo.c
 *     opening it in place with libelf/libdw, dwarf_lines.c's index, the
 *     demangler) for a module record whose file is gone, so the image is
 *     all there is; at the function symbols and code sections it names,
 *     found with bounds-checked reads of our own.
 * A symbolizer must name every PC (never an empty name) and never fault. */
#include <elf.h>
#include <libelf.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/symbolize.h"
#include "profiler/symtab.h"
#include "unwind/range.h"

#define FUZZ_PCS 48

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int frame_cb(void *arg, const struct prof__symframe *f) {
  if (!f->name || !f->name[0])
    abort();
  (*(int *)arg)++;
  return 0;
}

/* Addresses worth resolving: function symbols and executable sections,
 * read from the section headers with the same care as the readers. */
static int pick_pcs(const unsigned char *img, size_t len, uint64_t *pcs) {
  const ElfW(Ehdr) *eh = (const void *)img;
  int n = 0;
  pcs[n++] = eh->e_entry;
  if (eh->e_shentsize != sizeof(ElfW(Shdr)) || eh->e_shoff % 8 ||
      !prof__range_in(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(ElfW(Shdr)),
                      0, len))
    return n;
  const ElfW(Shdr) *sh = (const void *)(img + eh->e_shoff);
  for (int i = 0; i < eh->e_shnum && n < FUZZ_PCS; i++) {
    if (sh[i].sh_flags & SHF_EXECINSTR)
      pcs[n++] = sh[i].sh_addr + sh[i].sh_size / 2;
    if ((sh[i].sh_type != SHT_SYMTAB && sh[i].sh_type != SHT_DYNSYM) ||
        sh[i].sh_offset % 8 ||
        !prof__range_in(sh[i].sh_offset, sh[i].sh_size, 0, len))
      continue;
    const ElfW(Sym) *s = (const void *)(img + sh[i].sh_offset);
    for (size_t k = 0; k < sh[i].sh_size / sizeof(*s) && n < FUZZ_PCS; k++)
      if (ELF64_ST_TYPE(s[k].st_info) == STT_FUNC && s[k].st_value)
        pcs[n++] = s[k].st_value + s[k].st_size / 2;
  }
  return n;
}

/* A module record as the cache would make it, for a file that is gone. */
static void fake_module(struct prof__module *m, const unsigned char *img,
                        size_t len) {
  memset(m, 0, sizeof(*m));
  m->path = (char *)"/nonexistent/libfuzz.so";
  m->image = img;
  m->image_len = len;
  m->hi = UINT64_MAX;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const unsigned char id[20] = {1, 2, 3};
  /* A private copy, aligned as a mapping is; libelf may read it in place. */
  unsigned char *img = aligned_alloc(64, (size + 63) & ~(size_t)63);
  if (!img)
    return 0;
  memcpy(img, data, size);
  prof__image_has_build_id(img, size, NULL, 0);
  prof__image_has_build_id(img, size, id, sizeof(id));
  uint64_t pcs[FUZZ_PCS];
  int npcs = size >= sizeof(ElfW(Ehdr)) ? pick_pcs(img, size, pcs) : 0;
  struct prof__symtab *t = prof__symtab_new(img, size);
  for (int i = 0; t && i < npcs; i++)
    prof__symtab_lookup(t, pcs[i]);
  prof__symtab_free(t);
  struct prof__natsym *ns = prof__natsym_new(NULL, NULL, NULL);
  struct prof__module m;
  fake_module(&m, img, size);
  for (int i = 0; ns && i < npcs; i++) {
    int frames = 0;
    prof__natsym_resolve_in(ns, &m, pcs[i], i & 1, frame_cb, &frames);
    if (frames < 1)
      abort();
  }
  prof__natsym_free(ns);
  free(img);
  return 0;
}
