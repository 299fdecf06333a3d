/* Native symbolization: module + PC -> frames (innermost first): DWARF
 * file, line and inlined frames when debug information is found (in the
 * object, by build-id or .gnu_debuglink under /usr/lib/debug and
 * LIBPROF_DEBUG_DIRS), else ELF symbols, else module+0xoffset; C++ and
 * Rust legacy names demangled. See docs/symbolization.md.
 * Runs in the collector thread, never in the signal handler. Each
 * distinct location is resolved once by the caller (build.c caches
 * results); each module's debug information is opened once, on its first
 * PC, and kept until prof__natsym_free. */
#ifndef PROF_PROFILER_SYMBOLIZE_H
#define PROF_PROFILER_SYMBOLIZE_H

#include <stdint.h>

#include "unwind/modules.h"

struct prof__symframe {
  const char *name; /* never NULL                            */
  const char *file; /* source file, or NULL                  */
  uint32_t line;    /* 0 when unknown                        */
  int inlined;      /* inlined into the next frame emitted   */
};

/* Receives one frame; strings are valid only during the call.
 * Returns 0, or non-zero to stop (e.g. ENOMEM). */
typedef int (*prof__symframe_fn)(void *arg, const struct prof__symframe *f);

struct prof__natsym;

/* debug_dirs: extra debug-file roots (LIBPROF_DEBUG_DIRS syntax), and
 * cache_dir: the on-disk symbol cache ("" = none), each NULL to read its
 * variable (secure_getenv) now. NULL on ENOMEM. */
PROF__HIDDEN struct prof__natsym *prof__natsym_new(struct prof__modules *ms,
                                                 const char *debug_dirs,
                                                 const char *cache_dir);
PROF__HIDDEN void prof__natsym_free(struct prof__natsym *ns);

/* Emits the frames of native pc in module (PROF__NO_MODULE if unknown).
 * is_call: pc is a return address, so the call instruction (pc - 1) is
 * what gets resolved. A PC without a symbol becomes "module+0xoffset"
 * (offset relative to the load bias, as addr2line takes it), or
 * "[unknown]" outside any module. Returns what fn returned, or 0. */
PROF__HIDDEN int prof__natsym_resolve(struct prof__natsym *ns, uint32_t module,
                                      uint64_t pc, int is_call,
                                      prof__symframe_fn fn, void *arg);

/* The same for a module record given directly (NULL: outside any
 * module). Its id must be unique among the modules passed to ns. */
PROF__HIDDEN int prof__natsym_resolve_in(struct prof__natsym *ns,
                                         const struct prof__module *m,
                                         uint64_t pc, int is_call,
                                         prof__symframe_fn fn, void *arg);

#endif
