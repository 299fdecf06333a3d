/* Where a module's debug information is: the object itself, a separate
 * debug file found by build-id or by .gnu_debuglink under the debug roots,
 * and the dwz file (.gnu_debugaltlink) the debug file may share with
 * others. Every separate file is verified (build-id, else the debuglink
 * CRC) before it is trusted, so a file replaced on disk or a stale debug
 * package never names a PC wrongly. Lookup order: docs/symbolization.md.
 * Collector only. */
#ifndef PROF_PROFILER_DEBUGINFO_H
#define PROF_PROFILER_DEBUGINFO_H

#include <elfutils/libdw.h>
#include <stddef.h>

#include "unwind/modules.h"

/* One ELF file, mapped by libelf (elf == NULL: none). */
struct prof__elffile {
  Elf *elf;
  const unsigned char *data; /* the whole file (elf_rawfile)            */
  size_t len;
  char *path;                /* NULL for the vdso (no file)             */
};

struct prof__debuginfo {
  struct prof__elffile self;  /* the object's own file, if unchanged    */
  struct prof__elffile sep;   /* separate debug file, if one was found  */
  struct prof__elffile alt;   /* its dwz alternate file, if any          */
  Dwarf *dw;                  /* DWARF of the module, or NULL            */
  Dwarf *altdw;
  const char *source;         /* path the DWARF came from, or NULL       */
};

/* The debug roots: the LIBPROF_DEBUG_DIRS colon list (empty entries
 * skipped), then /usr/lib/debug. NULL-terminated, one malloc'd block;
 * NULL on ENOMEM. */
PROF__HIDDEN char **prof__debug_roots(const char *dirs);

/* Fills di for module m (zeroed first). Never fails: what cannot be found
 * stays NULL. Call elf_version() before. */
PROF__HIDDEN void prof__debuginfo_open(const struct prof__module *m,
                                       char *const *roots,
                                       struct prof__debuginfo *di);
PROF__HIDDEN void prof__debuginfo_close(struct prof__debuginfo *di);

/* Opens path if it is an ELF file of this machine's class and byte
 * order. Returns 0 or -1. */
PROF__HIDDEN int prof__elffile_map(const char *path, struct prof__elffile *f);
PROF__HIDDEN void prof__elffile_unmap(struct prof__elffile *f);

#endif
