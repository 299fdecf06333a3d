/* Collapsed-stack reader: lines `frame;frame;... <integer>`, root first.
 *
 * - A first frame written like "<name> (<tid>)" is the thread (libprof's
 *   collapsed output); lines without one go to thread "all (0)".
 * - Suffixes: `_[i]` inlined, `_[j]` managed (runtime "managed": collapsed
 *   stacks do not name the runtime), `_[k]` kernel (runtime "kernel").
 *   "[truncated]" as the first frame is libprof's synthetic frame.
 * - The number is a sample count, or nanoseconds when `ns` is set
 *   (LIBPROF_COLLAPSED_WEIGHT=ns); the other quantity is derived at the
 *   default rate, since the format carries none.
 * - Names are UTF-8: a byte that starts no valid sequence becomes U+FFFD,
 *   as every writer would write it (so what is read writes back as read).
 * - Empty lines and lines starting with '#' are skipped; anything else
 *   that is not `stack number` is an error naming the line.
 * Thread-safe (no shared state); never in a signal handler. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "export/out.h"       /* prof__utf8_len */
#include "export/read_json.h" /* prof__rj_add */
#include "export/writers.h"
#include "libprof.h"

struct prof__cr {
  struct prof__model *m;
  struct prof__rj_total total;
  uint32_t *stack;
  size_t cap;
  uint64_t period;
  int ns;
};

/* A malloc'd copy of [s, s + n) with every byte that starts no valid
 * UTF-8 sequence replaced by U+FFFD; NULL when out of memory. */
static char *prof__cr_strndup(const char *s, size_t n) {
  char *tok = strndup(s, n), *out = tok ? malloc(3 * n + 1) : NULL;
  size_t j = 0;
  for (const unsigned char *p = (unsigned char *)tok; out && *p;) {
    size_t k = prof__utf8_len(p);
    if (k == 0) {
      memcpy(out + j, "\xef\xbf\xbd", 3);
      j += 3;
      p++;
    } else {
      memcpy(out + j, p, k);
      j += k;
      p += k;
    }
  }
  if (out)
    out[j] = 0;
  free(tok);
  return out;
}

/* Interns one frame token [s, e), decoding its suffix. */
static int64_t prof__cr_frame(struct prof__cr *r, const char *s,
                              const char *e, int first) {
  struct prof__model_frame f = {0};
  size_t n = (size_t)(e - s);
  f.module = -1;
  if (n > 4 && e[-4] == '_' && e[-3] == '[' && e[-1] == ']') {
    char k = e[-2];
    if (k == 'i' || k == 'j' || k == 'k')
      n -= 4;
    if (k == 'i')
      f.flags |= PROF__FRAME_INLINED;
    f.runtime = k == 'j' ? "managed" : k == 'k' ? "kernel" : NULL;
  }
  char *name = prof__cr_strndup(s, n);
  if (name == NULL)
    return -1;
  if (first && strcmp(name, PROF__TRUNCATED_NAME) == 0) {
    f.flags |= PROF__FRAME_SYNTHETIC;
    f.runtime = PROF__RUNTIME_LIBPROF;
  }
  f.name = name;
  int64_t fi = prof__model_intern_frame(r->m, &f);
  free(name);
  return fi;
}

/* The thread of a line: its first token when that is a thread label. */
static int64_t prof__cr_thread(struct prof__cr *r, const char **s,
                               const char *e) {
  const char *semi = memchr(*s, ';', (size_t)(e - *s));
  const char *end = semi ? semi : e;
  char *tok = prof__cr_strndup(*s, (size_t)(end - *s));
  int64_t tid, ti;
  size_t namelen;
  if (tok == NULL)
    return -1;
  if (prof__parse_thread_label(tok, &tid, &namelen)) {
    tok[namelen] = 0;
    ti = prof__model_thread(r->m, tid, tok);
    *s = semi ? semi + 1 : e;
  } else {
    ti = prof__model_thread(r->m, 0, "all");
  }
  free(tok);
  return ti;
}

static int prof__cr_push(struct prof__cr *r, size_t n, uint32_t v) {
  if (prof__grow((void **)&r->stack, &r->cap, n + 1, sizeof(*r->stack)))
    return -1;
  r->stack[n] = v;
  return 0;
}

/* Parses the stack part [s, e) of a line and adds the sample. */
static int prof__cr_stack(struct prof__cr *r, const char *s, const char *e,
                          uint64_t v, char *err, size_t errlen) {
  int64_t ti = prof__cr_thread(r, &s, e);
  size_t n = 0;
  if (ti < 0)
    return PROF_ENOMEM;
  while (s < e) {
    const char *semi = memchr(s, ';', (size_t)(e - s));
    const char *end = semi ? semi : e;
    if (n == PROF__READ_MAX_DEPTH) {
      prof__errf(err, errlen, "more than %d frames", PROF__READ_MAX_DEPTH);
      return PROF_EFORMAT;
    }
    int64_t fi = prof__cr_frame(r, s, end, n == 0);
    if (fi < 0 || prof__cr_push(r, n++, (uint32_t)fi) != 0)
      return PROF_ENOMEM;
    s = semi ? semi + 1 : e;
  }
  uint64_t count = v, w = prof__rj_mul(v, r->period);
  r->m->weights_from_counts = !r->ns;
  if (r->ns) {
    w = v;
    count = (v + r->period / 2) / r->period;
    if (count == 0)
      count = 1;
  }
  return prof__rj_add(r->m, &r->total, (size_t)ti, r->stack, (uint32_t)n,
                      count, w, err, errlen);
}

/* One line [s, e), without its newline. */
static int prof__cr_line(struct prof__cr *r, const char *s, const char *e,
                         size_t lineno, char *err, size_t errlen) {
  while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
    e--;
  if (e == s || *s == '#')
    return 0;
  const char *num = e;
  while (num > s && num[-1] >= '0' && num[-1] <= '9')
    num--;
  const char *sep = num;
  while (sep > s && (sep[-1] == ' ' || sep[-1] == '\t'))
    sep--;
  if (num == e || sep == num || sep == s || e - num > 19) {
    prof__errf(err, errlen, "line %zu: expected \"frame;frame;... "
               "<integer>\"", lineno);
    return PROF_EFORMAT;
  }
  errno = 0;
  uint64_t v = strtoull(num, NULL, 10);
  if (errno != 0) {
    prof__errf(err, errlen, "line %zu: number out of range", lineno);
    return PROF_EFORMAT;
  }
  if (v == 0)
    return 0;
  char why[160] = "out of memory";
  int rc = prof__cr_stack(r, s, sep, v, why, sizeof(why));
  if (rc != 0)
    prof__errf(err, errlen, "line %zu: %s", lineno, why);
  return rc;
}

int prof__read_collapsed(struct prof__model *m, const char *buf, size_t len,
                         int ns, char *err, size_t errlen) {
  struct prof__cr r = {.m = m, .ns = ns};
  const char *p = buf, *end = buf + len;
  size_t lineno = 0;
  int rc = 0;
  r.period = prof__period_ns(m);
  while (rc == 0 && p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    rc = prof__cr_line(&r, p, le, ++lineno, err, errlen);
    p = nl ? nl + 1 : end;
  }
  free(r.stack);
  if (rc == 0 && m->nthreads == 0) {
    prof__errf(err, errlen, "no stacks found");
    rc = PROF_EFORMAT;
  }
  return rc;
}
