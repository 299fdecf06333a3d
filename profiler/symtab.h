/* ELF symbol tables (.symtab, else .dynsym) of a module image, for naming
 * native PCs. Collector only. */
#ifndef PROF_PROFILER_SYMTAB_H
#define PROF_PROFILER_SYMTAB_H

#include <stddef.h>
#include <stdint.h>

#include "unwind/modules.h"

struct prof__symtab;

/* Reads the function symbols of m's image. Never NULL unless ENOMEM; an
 * image without symbols gives an empty table. */
PROF__HIDDEN struct prof__symtab *prof__symtab_new(const struct prof__module *m);
PROF__HIDDEN void prof__symtab_free(struct prof__symtab *t);

/* Name of the function containing link-time address vaddr, or NULL.
 * Honours symbol sizes: an address past the end of the nearest preceding
 * symbol is in no symbol. The string belongs to the table. */
PROF__HIDDEN const char *prof__symtab_lookup(const struct prof__symtab *t,
                                             uint64_t vaddr);

#endif
