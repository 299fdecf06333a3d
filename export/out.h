/* Buffered text output for the writers: a fixed buffer in front of a
 * stdio stream, fast integer formatting, JSON string quoting, and a latched
 * error so a writer can emit freely and check once at the end.
 * One struct per writer call; not thread-safe; never in a signal handler. */
#ifndef PROF_EXPORT_OUT_H
#define PROF_EXPORT_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/common.h"
#define PROF__OUT_BUF 16384

struct prof__out {
  FILE *fp;  /* borrowed, never closed here  */
  size_t len;
  uint64_t total; /* bytes written through this struct so far */
  int err;   /* first PROF_E* error, or 0    */
  char buf[PROF__OUT_BUF];
};

PROF__HIDDEN void prof__out_init(struct prof__out *o, FILE *fp);
PROF__HIDDEN void prof__out_mem(struct prof__out *o, const void *p, size_t n);
PROF__HIDDEN void prof__out_str(struct prof__out *o, const char *s);
PROF__HIDDEN void prof__out_u64(struct prof__out *o, uint64_t v);
PROF__HIDDEN void prof__out_i64(struct prof__out *o, int64_t v);
/* "0x" followed by lower-case hex digits. */
PROF__HIDDEN void prof__out_hex(struct prof__out *o, uint64_t v);
/* A quoted JSON string. Control characters are escaped and bytes that are
 * not valid UTF-8 become U+FFFD, so any C string gives valid JSON. */
PROF__HIDDEN void prof__out_json_str(struct prof__out *o, const char *s);
/* Members after the first of a JSON object: ,"key":"v" (nothing when v
 * is NULL) and ,"key":v. */
PROF__HIDDEN void prof__out_json_kv_str(struct prof__out *o, const char *key,
                                        const char *v);
PROF__HIDDEN void prof__out_json_kv_u64(struct prof__out *o, const char *key,
                                        uint64_t v);
/* Writes out the buffer and fflush()es the stream; returns o->err, which
 * is PROF_EIO when any write failed. */
PROF__HIDDEN int prof__out_flush(struct prof__out *o);

static inline void prof__out_ch(struct prof__out *o, char c) {
  if (o->len == PROF__OUT_BUF) {
    prof__out_mem(o, &c, 1);
  } else {
    o->buf[o->len++] = c;
    o->total++;
  }
}

/* The length of the valid UTF-8 sequence at s (1..4), or 0 when s does not
 * start one. Shared by every writer that must emit valid UTF-8. */
PROF__HIDDEN size_t prof__utf8_len(const unsigned char *s);

#endif
