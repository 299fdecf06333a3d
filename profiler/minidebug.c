/* MiniDebugInfo (.gnu_debugdata): an xz-compressed ELF holding a .symtab
 * of the functions .dynsym lacks, which Fedora-style builds ship inside
 * the stripped object itself (gdb reads it too). Decompressed once per
 * module, on its first PC, with liblzma. Collector only. */
#include "profiler/minidebug.h"

#include <lzma.h>
#include <stdlib.h>

#include "profiler/symtab.h"

/* Larger than any symbol table plausibly is: a corrupt or hostile
 * section cannot make the collector allocate without bound. */
#define PROF__MINIDEBUG_MAX (256u << 20)

unsigned char *prof__minidebug_read(const unsigned char *img, size_t len,
                                    size_t *out_len) {
  const unsigned char *xz;
  size_t xz_len;
  if (prof__elf_section(img, len, ".gnu_debugdata", &xz, &xz_len) != 0)
    return NULL;
  /* The uncompressed size is not stored up front: grow until it fits. */
  for (size_t cap = xz_len * 4 + 4096; cap <= PROF__MINIDEBUG_MAX;
       cap *= 2) {
    unsigned char *buf = malloc(cap);
    uint64_t memlimit = 64u << 20;
    size_t in_pos = 0, out_pos = 0;
    if (!buf)
      return NULL;
    lzma_ret r = lzma_stream_buffer_decode(&memlimit, 0, NULL, xz, &in_pos,
                                           xz_len, buf, &out_pos, cap);
    if (r == LZMA_OK) {
      *out_len = out_pos;
      return buf;
    }
    free(buf);
    if (r != LZMA_BUF_ERROR) /* corrupt, or not xz: no names from it */
      return NULL;
  }
  return NULL;
}
