/* ELF symbol tables (.symtab, else .dynsym) of a module image or of its
 * separate debug file, for naming native PCs. Collector only. */
#ifndef PROF_PROFILER_SYMTAB_H
#define PROF_PROFILER_SYMTAB_H

#include <stddef.h>
#include <stdint.h>

#include "unwind/modules.h"

struct prof__symtab;

/* Reads the function symbols of the ELF image img (len bytes): .symtab,
 * else .dynsym. Never NULL unless ENOMEM; a NULL image or one without
 * symbols gives an empty table. The table points into img, which must
 * outlive it. */
PROF__HIDDEN struct prof__symtab *prof__symtab_new(const unsigned char *img,
                                                   size_t len);

/* Number of function symbols read (0: the caller may try another file). */
PROF__HIDDEN size_t prof__symtab_count(const struct prof__symtab *t);
PROF__HIDDEN void prof__symtab_free(struct prof__symtab *t);

/* Name of the function containing link-time address vaddr, or NULL.
 * Honours symbol sizes: an address past the end of the nearest preceding
 * symbol is in no symbol. The string belongs to the table. */
PROF__HIDDEN const char *prof__symtab_lookup(const struct prof__symtab *t,
                                             uint64_t vaddr);

/* Start (link-time address) of the function containing vaddr, from the
 * image's .eh_frame_hdr table (the nearest FDE start at or before vaddr):
 * 0, or -1 without a table or before its first FDE. For code no symbol
 * covers, so that one function is one frame. */
PROF__HIDDEN int prof__symtab_fde_start(const struct prof__symtab *t,
                                        uint64_t vaddr, uint64_t *start);

/* The bytes of the section called name in the ELF image img (len bytes),
 * if it has contents inside the image: 0, or -1. */
PROF__HIDDEN int prof__elf_section(const unsigned char *img, size_t len,
                                   const char *name,
                                   const unsigned char **data, size_t *size);

/* For an array of n elements of `size` bytes sorted by a leading
 * uint64_t field: how many elements have that field <= key (so the
 * nearest one at or before key is the one before that index). */
PROF__HIDDEN size_t prof__count_le(const void *base, size_t n, size_t size,
                                   uint64_t key);

#endif
