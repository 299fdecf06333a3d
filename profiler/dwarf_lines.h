/* DWARF (libdw) lookup of a link-time address: the function chain at that
 * address, inlined functions first, each with its own file and line.
 * Collector only.
 *
 * Why an index of our own: dwarf_getscopes() re-walks a CU's DIE tree on
 * every call, which for a large CU costs far more than the whole budget of
 * one PC. Instead each CU is walked once, on its first PC, into a sorted
 * table of the address ranges of its functions and inlined instances;
 * every later PC in that CU is a binary search plus a short walk up the
 * nesting. CUs are found through .debug_aranges when present (cheap to
 * read), else, or for a PC it misses, through every CU's own
 * DW_AT_ranges, so objects built without .debug_aranges (clang's default)
 * work too. Only CUs that PCs fall in are indexed. */
#ifndef PROF_PROFILER_DWARF_LINES_H
#define PROF_PROFILER_DWARF_LINES_H

#include <elfutils/libdw.h>
#include <stdint.h>

#include "arch/arch.h"

struct prof__dwframe {
  const char *name; /* DWARF name, linkage (mangled) name preferred; may
                       be NULL when the DIE has none                    */
  const char *file; /* absolute when the producer recorded a comp dir  */
  uint32_t line;    /* 0 when unknown                                   */
  int inlined;      /* inlined into the next frame emitted              */
};

/* Receives one frame (strings owned by libdw, valid while the Dwarf is
 * open). Returns 0, or non-zero to stop. */
typedef int (*prof__dwframe_fn)(void *arg, const struct prof__dwframe *f);

struct prof__dwlines;

/* Reads the CU table of dw (which must outlive the index). NULL on
 * ENOMEM. */
PROF__HIDDEN struct prof__dwlines *prof__dwlines_new(Dwarf *dw);
PROF__HIDDEN void prof__dwlines_free(struct prof__dwlines *x);

/* Emits the frames of vaddr, innermost first, ending with the function
 * that was not inlined. Returns the number of frames emitted, 0 when no
 * function DIE covers vaddr, or -1 when fn asked to stop. */
PROF__HIDDEN int prof__dwlines_resolve(struct prof__dwlines *x, uint64_t vaddr,
                                       prof__dwframe_fn fn, void *arg);

/* File and line of vaddr from the line table alone (for code with line
 * information but no function DIE, such as assembly). Returns 0 or -1. */
PROF__HIDDEN int prof__dwlines_srcline(struct prof__dwlines *x, uint64_t vaddr,
                                       const char **file, uint32_t *line);

#endif
