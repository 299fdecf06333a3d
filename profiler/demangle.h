/* Demangling of native symbol names for display. Collector only.
 *
 * C++ (Itanium ABI, "_Z..."): through __cxa_demangle, looked up at run
 * time with dlsym, so libprof has no link dependency on libstdc++; when
 * the host has no libstdc++ loaded, C++ names stay raw.
 * Rust legacy ("_ZN...17h<16 hex>E"): decoded here (path segments, the
 * $..$ escapes, the hash dropped). Rust v0 ("_R...") stays raw. */
#ifndef PROF_PROFILER_DEMANGLE_H
#define PROF_PROFILER_DEMANGLE_H

#include <stddef.h>

#include "arch/arch.h"

struct prof__demangler;

/* Never NULL unless ENOMEM. Looks __cxa_demangle up once. */
PROF__HIDDEN struct prof__demangler *prof__demangler_new(void);
PROF__HIDDEN void prof__demangler_free(struct prof__demangler *d);

/* The display form of name: without a compiler clone suffix (.part.N,
 * .isra.N, .constprop.N, .cold, .llvm.N, ...), then demangled. Returns a
 * string owned by d and valid until the next call, or name itself. */
PROF__HIDDEN const char *prof__demangle(struct prof__demangler *d,
                                        const char *name);

/* Rust legacy decoding into out (outlen > 0). Returns 0, or -1 when name
 * is not a Rust legacy symbol (a trailing hash segment marks those). */
PROF__HIDDEN int prof__demangle_rust_legacy(const char *name, char *out,
                                            size_t outlen);

#endif
