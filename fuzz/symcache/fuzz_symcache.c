/* Fuzz target: the reader of LIBPROF_CACHE_DIR files (profiler/symdisk.c)
 * on a corrupted file. The input is the file, for build-id 20 x 0x11. A
 * file the reader accepts must emit only named frames for any offset,
 * and, with one record added, must be written back (temp + rename) into
 * a file that reads again and holds that record. Never a fault. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profiler/symdisk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int frame_cb(void *arg, const struct prof__symframe *f) {
  if (!f->name || !f->name[0])
    abort();
  (*(int *)arg)++;
  return 0;
}

/* Offsets worth asking: small ones, and every u64 the input holds. */
static void emit_some(const struct prof__symdisk *d, const uint8_t *data,
                      size_t size) {
  for (size_t i = 0; i + 8 <= size && i < 4096; i++) {
    uint64_t off;
    memcpy(&off, data + i, sizeof(off));
    int n = 0;
    for (int call = 0; call < 2; call++) {
      int r = prof__symdisk_emit(d, off, call, "lib.so", frame_cb, &n);
      if (r != PROF__SYMDISK_MISS && (r != 0 || n == 0))
        abort(); /* a hit emits frames (frame_cb never stops) */
    }
  }
}

static void round_trip(struct prof__symdisk *d, const unsigned char *id) {
  static char dir[] = "/tmp/fuzz_symcache.XXXXXX";
  static int fd = -1;
  if (fd < 0 && (!mkdtemp(dir) || (fd = prof__symdisk_dir(dir, NULL, 0)) < 0))
    abort();
  struct prof__symframe f = {"added", "added.c", 7, 0};
  prof__symdisk_begin(d, 0xfeedf00d, 1);
  prof__symdisk_frame(d, &f, 0);
  prof__symdisk_end(d, 1);
  prof__symdisk_save(fd, d);
  struct prof__symdisk *back = prof__symdisk_load(fd, id, 20);
  int n = 0;
  if (!back ||
      prof__symdisk_emit(back, 0xfeedf00d, 1, "x", frame_cb, &n) != 0 || n < 1)
    abort();
  prof__symdisk_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  unsigned char id[20];
  memset(id, 0x11, sizeof(id));
  struct prof__symdisk *d = prof__symdisk_parse(data, size, id, sizeof(id));
  if (!d)
    return 0;
  emit_some(d, data, size);
  round_trip(d, id);
  prof__symdisk_free(d);
  return 0;
}
