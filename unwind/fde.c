/* The FDE ranges of one module, for callers that need to know where code
 * with unwind information is (the cgo traceback's Go boundary: Go's own
 * functions have none). The .eh_frame_hdr search table lists each FDE's
 * start; its end comes from libunwind's reading of the FDE itself. */
#include <string.h>

#include "unwind/rules.h"

int prof__module_fdes(struct prof__prober *p, const struct prof__module *m,
                      prof__fde_fn fn, void *arg) {
  unsigned char h[12];
  /* Version 1, a 4-byte count, datarel|sdata4 pairs: what GNU ld and
   * gold write, and what dwarf.c hands to libunwind as well. */
  if (!m->eh_frame_hdr || prof__module_read(m, m->eh_frame_hdr, h, 12) != 0 ||
      h[0] != 1 || h[2] != 0x03 || h[3] != 0x3b)
    return -1;
  uint32_t count;
  memcpy(&count, h + 8, 4);
  for (uint32_t i = 0; i < count; i++) {
    int32_t start;
    uint64_t lo, hi;
    if (prof__module_read(m, m->eh_frame_hdr + 12 + (uint64_t)i * 8, &start,
                          4) != 0)
      return -1;
    uint64_t pc = m->eh_frame_hdr + (uint64_t)(int64_t)start;
    if (prof__probe_fde(p, pc, &lo, &hi) == 0 && fn(arg, lo, hi) != 0)
      break;
  }
  return 0;
}
