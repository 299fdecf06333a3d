/* Process-lifetime cache of opened debug information, so that a second
 * session in the same process does not find, map, decompress and index
 * libc's debug file again (about 50 ms with libc6-dbg, most of it zlib).
 *
 * Keyed by the object's build-id (its content, not its address: safe
 * across dlclose and a reload at another address; a library replaced on
 * disk has another build-id and misses) and by the LIBPROF_DEBUG_DIRS in
 * effect (another list may find another file, or none). Only entries
 * that hold DWARF and own every byte they read are kept: nothing in them
 * points into a session's module cache. At most PROF__SYMCACHE_SLOTS
 * entries; the least recently given back one is closed first. Entries
 * are never freed at exit (the process is ending; a collector of another
 * session may still be using its own).
 *
 * An entry is taken out for the exclusive use of one symbolizer (libdw
 * handles and the lazily built CU index are not thread-safe) and given
 * back at its end. The lock is only tried: contention, or a child forked
 * while another thread held it, means working without the cache.
 * Collector only; thread-safe. */
#ifndef PROF_PROFILER_SYMCACHE_H
#define PROF_PROFILER_SYMCACHE_H

#include "profiler/debuginfo.h"
#include "profiler/dwarf_lines.h"
#include "profiler/symtab.h"

#define PROF__SYMCACHE_SLOTS 8

/* What a module's debug information opened into. */
struct prof__dbg {
  struct prof__debuginfo di;
  struct prof__dwlines *lines;  /* NULL without DWARF                   */
  struct prof__symtab *dbgtab;  /* the separate debug file's symbols    */
  unsigned char id[64];         /* the module's build-id: the cache key */
  int idlen;                    /* 0: none, never cached                 */
};

/* Opens d for module m (zeroed first), from the cache when an entry
 * matches m's build-id and dirs, else from the files. Never fails: what
 * cannot be found stays NULL. roots: from prof__debug_roots(dirs). */
PROF__HIDDEN void prof__dbg_open(const struct prof__module *m, const char *dirs,
                                 char *const *roots, struct prof__dbg *d);

/* Gives d back: into the cache when it can outlive the session, else
 * closed. d is zeroed either way. */
PROF__HIDDEN void prof__dbg_release(const char *dirs, struct prof__dbg *d);

#endif
