/* gzip stream behind a ProtobufCBuffer (see gzip.h).
 * Thread-safe (no shared state); never in a signal handler. */
#include "export/gzip.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "libprof.h"

#define PROF__GZ_CHUNK 65536

/* A ProtobufCBuffer that gzips what protobuf-c packs into it. Appends are
 * staged, since protobuf-c appends a few bytes at a time. */
struct prof__gz {
  ProtobufCBuffer base;
  z_stream z;
  FILE *fp;
  int err;
  size_t nin;
  unsigned char in[PROF__GZ_CHUNK];
  unsigned char out[PROF__GZ_CHUNK];
};

static void prof__gz_deflate(struct prof__gz *g, int flush) {
  int r;
  g->z.next_in = g->in;
  g->z.avail_in = (uInt)g->nin;
  g->nin = 0;
  do {
    g->z.next_out = g->out;
    g->z.avail_out = sizeof(g->out);
    r = deflate(&g->z, flush);
    if (r == Z_STREAM_ERROR) {
      g->err = PROF_EIO;
      return;
    }
    size_t have = sizeof(g->out) - g->z.avail_out;
    if (have != 0 && fwrite(g->out, 1, have, g->fp) != have) {
      g->err = PROF_EIO;
      return;
    }
  } while (g->z.avail_out == 0 || (flush == Z_FINISH && r != Z_STREAM_END));
}

static void prof__gz_append(ProtobufCBuffer *b, size_t len,
                            const uint8_t *data) {
  struct prof__gz *g = (struct prof__gz *)b;
  while (len > 0 && g->err == 0) {
    size_t k = sizeof(g->in) - g->nin;
    if (k > len)
      k = len;
    memcpy(g->in + g->nin, data, k);
    g->nin += k;
    data += k;
    len -= k;
    if (g->nin == sizeof(g->in))
      prof__gz_deflate(g, Z_NO_FLUSH);
  }
}

struct prof__gz *prof__gz_open(FILE *fp) {
  struct prof__gz *g = calloc(1, sizeof(*g));
  if (g == NULL)
    return NULL;
  g->base.append = prof__gz_append;
  g->fp = fp;
  /* Level 1 like Go's own pprof writer: the data is repetitive varints,
   * and speed matters more than the last few percent. 15+16 = gzip. */
  if (deflateInit2(&g->z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    free(g);
    return NULL;
  }
  return g;
}

ProtobufCBuffer *prof__gz_buffer(struct prof__gz *g) {
  return &g->base;
}

int prof__gz_close(struct prof__gz *g, int ok) {
  if (ok && g->err == 0)
    prof__gz_deflate(g, Z_FINISH);
  int rc = g->err;
  deflateEnd(&g->z);
  if (ok && rc == 0 && fflush(g->fp) != 0)
    rc = PROF_EIO;
  free(g);
  return rc;
}
