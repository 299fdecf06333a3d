/* MiniDebugInfo: the .gnu_debugdata section of a module image. */
#ifndef PROF_PROFILER_MINIDEBUG_H
#define PROF_PROFILER_MINIDEBUG_H

#include <stddef.h>

#include "arch/arch.h"

/* The ELF image embedded xz-compressed in img's .gnu_debugdata section,
 * decompressed into a malloc'd buffer of *len bytes (the caller frees
 * it), or NULL when there is none, it is corrupt, or it would exceed
 * 256 MiB. Not AS-safe (malloc); thread-safe. */
PROF__HIDDEN unsigned char *prof__minidebug_read(const unsigned char *img,
                                                 size_t len, size_t *out_len);

#endif
