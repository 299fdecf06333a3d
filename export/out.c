/* Buffered text output (see out.h). */
#include "export/out.h"

#include <string.h>

#include "libprof.h"

void prof__out_init(struct prof__out *o, FILE *fp) {
  o->fp = fp;
  o->len = 0;
  o->total = 0;
  o->err = 0;
}

static void prof__out_drain(struct prof__out *o) {
  if (o->len != 0 && o->err == 0 &&
      fwrite(o->buf, 1, o->len, o->fp) != o->len)
    o->err = PROF_EIO;
  o->len = 0;
}

void prof__out_mem(struct prof__out *o, const void *p, size_t n) {
  const char *c = p;
  o->total += n;
  while (n > 0) {
    if (o->len == PROF__OUT_BUF)
      prof__out_drain(o);
    size_t k = PROF__OUT_BUF - o->len;
    if (k > n)
      k = n;
    memcpy(o->buf + o->len, c, k);
    o->len += k;
    c += k;
    n -= k;
  }
}

void prof__out_str(struct prof__out *o, const char *s) {
  prof__out_mem(o, s, strlen(s));
}

void prof__out_u64(struct prof__out *o, uint64_t v) {
  char tmp[24];
  size_t i = sizeof(tmp);
  do {
    tmp[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  prof__out_mem(o, tmp + i, sizeof(tmp) - i);
}

void prof__out_i64(struct prof__out *o, int64_t v) {
  if (v < 0) {
    prof__out_ch(o, '-');
    prof__out_u64(o, (uint64_t)0 - (uint64_t)v);
  } else {
    prof__out_u64(o, (uint64_t)v);
  }
}

void prof__out_hex(struct prof__out *o, uint64_t v) {
  char tmp[18];
  size_t i = sizeof(tmp);
  do {
    tmp[--i] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v != 0);
  tmp[--i] = 'x';
  tmp[--i] = '0';
  prof__out_mem(o, tmp + i, sizeof(tmp) - i);
}

size_t prof__utf8_len(const unsigned char *s) {
  unsigned c = s[0];
  size_t n;
  unsigned min;
  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2, min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3, min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4, min = 0x10000;
  } else {
    return 0;
  }
  unsigned cp = c & (0x3fu >> (n - 1));
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3fu);
  }
  /* Overlong forms, surrogates and code points past U+10FFFF are not
   * valid UTF-8, and strict JSON parsers reject them. */
  if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
    return 0;
  return n;
}

static void prof__out_json_escape(struct prof__out *o, unsigned char c) {
  static const char hex[] = "0123456789abcdef";
  char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
  switch (c) {
  case '"': prof__out_mem(o, "\\\"", 2); return;
  case '\\': prof__out_mem(o, "\\\\", 2); return;
  case '\n': prof__out_mem(o, "\\n", 2); return;
  case '\r': prof__out_mem(o, "\\r", 2); return;
  case '\t': prof__out_mem(o, "\\t", 2); return;
  default: prof__out_mem(o, e, sizeof(e)); return;
  }
}

void prof__out_json_str(struct prof__out *o, const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  prof__out_ch(o, '"');
  while (*p != 0) {
    if (*p < 0x20 || *p == '"' || *p == '\\') {
      prof__out_json_escape(o, *p++);
      continue;
    }
    size_t n = prof__utf8_len(p);
    if (n == 0) {
      prof__out_mem(o, "\xef\xbf\xbd", 3); /* U+FFFD */
      p++;
      continue;
    }
    prof__out_mem(o, p, n);
    p += n;
  }
  prof__out_ch(o, '"');
}

static void prof__out_json_key(struct prof__out *o, const char *key) {
  prof__out_ch(o, ',');
  prof__out_json_str(o, key);
  prof__out_ch(o, ':');
}

void prof__out_json_kv_str(struct prof__out *o, const char *key,
                           const char *v) {
  if (v == NULL)
    return;
  prof__out_json_key(o, key);
  prof__out_json_str(o, v);
}

void prof__out_json_kv_u64(struct prof__out *o, const char *key, uint64_t v) {
  prof__out_json_key(o, key);
  prof__out_u64(o, v);
}

int prof__out_flush(struct prof__out *o) {
  prof__out_drain(o);
  if (o->err == 0 && fflush(o->fp) != 0)
    o->err = PROF_EIO;
  return o->err;
}
