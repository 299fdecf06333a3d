/* Output format names, extensions and sibling paths (see export.h), and
 * the public prof_output_path().
 * Pure string work: thread-safe, no allocation. Not AS-safe (strcasecmp
 * may consult the locale). */
#include "export/export.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "libprof.h"

struct prof__format_info {
  enum prof__format fmt;
  const char *name;
  const char *ext; /* canonical extension of a sibling file */
};

static const struct prof__format_info prof__formats[] = {
    {PROF__FMT_SPEEDSCOPE, "speedscope", ".speedscope.json"},
    {PROF__FMT_D3, "d3", ".d3.json"},
    {PROF__FMT_COLLAPSED, "collapsed", ".folded"},
    {PROF__FMT_PPROF, "pprof", ".pb.gz"},
    {PROF__FMT_HTML, "html", ".html"},
    {PROF__FMT_SVG, "svg", ".svg"},
};

/* Recognized extensions, longest match first (".d3.json" before ".json"). */
static const struct {
  const char *ext;
  enum prof__format fmt;
} prof__exts[] = {
    {".speedscope.json", PROF__FMT_SPEEDSCOPE},
    {".d3.json", PROF__FMT_D3},
    {".json", PROF__FMT_SPEEDSCOPE},
    {".collapsed", PROF__FMT_COLLAPSED},
    {".folded", PROF__FMT_COLLAPSED},
    {".pb.gz", PROF__FMT_PPROF},
    {".html", PROF__FMT_HTML},
    {".htm", PROF__FMT_HTML},
    {".svg", PROF__FMT_SVG},
};

#define PROF__NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *prof__format_name(enum prof__format f) {
  for (size_t i = 0; i < PROF__NELEM(prof__formats); i++)
    if (prof__formats[i].fmt == f)
      return prof__formats[i].name;
  return NULL;
}

static int prof__is_space(char c) {
  return c == ' ' || c == '\t';
}

/* Matches the name in [s, e) against the known format names. */
static unsigned prof__format_by_name(const char *s, const char *e) {
  size_t n = (size_t)(e - s);
  for (size_t i = 0; i < PROF__NELEM(prof__formats); i++)
    if (strlen(prof__formats[i].name) == n &&
        strncasecmp(prof__formats[i].name, s, n) == 0)
      return prof__formats[i].fmt;
  /* "folded" is what flamegraph.pl's own tools call the format. */
  if (n == 6 && strncasecmp(s, "folded", 6) == 0)
    return PROF__FMT_COLLAPSED;
  return 0;
}

int prof__format_parse(const char *list, unsigned *mask, const char **bad) {
  const char *p = list;
  unsigned m = 0;

  if (list == NULL)
    return PROF_EFORMAT;
  for (;;) {
    while (prof__is_space(*p))
      p++;
    const char *s = p;
    while (*p != 0 && *p != ',' && !prof__is_space(*p))
      p++;
    const char *e = p;
    while (prof__is_space(*p))
      p++;
    unsigned f = prof__format_by_name(s, e);
    if (f == 0 || (*p != 0 && *p != ',')) {
      if (bad != NULL)
        *bad = s;
      return PROF_EFORMAT;
    }
    m |= f;
    if (*p == 0)
      break;
    p++;
  }
  *mask = m;
  return 0;
}

/* The length of path's recognized extension, and its format in *f. */
static size_t prof__ext_match(const char *path, unsigned *f) {
  size_t n = strlen(path);
  for (size_t i = 0; i < PROF__NELEM(prof__exts); i++) {
    size_t k = strlen(prof__exts[i].ext);
    /* The extension must follow a file name, not be the whole name. */
    if (n > k && path[n - k - 1] != '/' &&
        strcasecmp(path + n - k, prof__exts[i].ext) == 0) {
      *f = prof__exts[i].fmt;
      return k;
    }
  }
  *f = 0;
  return 0;
}

unsigned prof__format_from_path(const char *path) {
  unsigned f;
  if (path == NULL)
    return 0;
  prof__ext_match(path, &f);
  return f;
}

static const char *prof__format_ext(enum prof__format f) {
  for (size_t i = 0; i < PROF__NELEM(prof__formats); i++)
    if (prof__formats[i].fmt == f)
      return prof__formats[i].ext;
  return NULL;
}

int prof__format_path(const char *path, unsigned mask, enum prof__format f,
                      char *buf, size_t len) {
  unsigned pf;
  size_t extlen = prof__ext_match(path, &pf);
  size_t n = strlen(path);
  const char *ext = prof__format_ext(f);

  if (ext == NULL)
    return PROF_EINVAL;
  /* The one format asked for goes where the user said, whatever the
   * extension: `-o prof.json --format pprof` writes prof.json. */
  if (pf == (unsigned)f || mask == (unsigned)f) {
    if (n + 1 > len)
      return PROF_EINVAL;
    memcpy(buf, path, n + 1);
    return 0;
  }
  size_t stem = n - extlen, k = strlen(ext);
  if (stem + k + 1 > len)
    return PROF_EINVAL;
  memmove(buf, path, stem);
  memcpy(buf + stem, ext, k + 1);
  return 0;
}

/* Copies in to out expanding "%p" to pid and "%%" to "%". 0 or -1 when
 * out is too small. */
static int prof__expand_pid(const char *in, long pid, char *out,
                            size_t len) {
  size_t j = 0;
  for (const char *p = in; *p != 0; p++) {
    char tmp[24] = {*p, 0};
    if (p[0] == '%' && (p[1] == 'p' || p[1] == '%')) {
      if (p[1] == 'p')
        snprintf(tmp, sizeof(tmp), "%ld", pid);
      p++;
    }
    size_t n = strlen(tmp);
    if (j + n + 1 > len)
      return -1;
    memcpy(out + j, tmp, n);
    j += n;
  }
  out[j] = 0;
  return 0;
}

int prof_output_path(const char *out, const char *formats, const char *format,
                     long pid, char *buf, unsigned len) {
  unsigned mask = 0, f = 0;
  char tmp[4200];
  if (out == NULL || format == NULL || buf == NULL || *out == 0)
    return PROF_EINVAL;
  if (prof__format_parse(format, &f, NULL) != 0 || (f & (f - 1)) != 0)
    return PROF_EFORMAT;
  if (formats != NULL) {
    if (prof__format_parse(formats, &mask, NULL) != 0)
      return PROF_EFORMAT;
  } else if ((mask = prof__format_from_path(out)) == 0) {
    mask = PROF__FMT_SPEEDSCOPE;
  }
  if ((mask & f) == 0)
    return PROF_EFORMAT;
  if (prof__format_path(out, mask, (enum prof__format)f, tmp, sizeof(tmp)))
    return PROF_EINVAL;
  return prof__expand_pid(tmp, pid, buf, len) ? PROF_EINVAL : 0;
}
