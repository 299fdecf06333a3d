/* prof_convert(): read a profile file in any readable format and write it
 * in another, atomically. Thread-safe (no shared state; the environment
 * is only read). Not AS-safe. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "export/export.h"
#include "export/writers.h"
#include "libprof.h"

/* LIBPROF_COLLAPSED_WEIGHT: samples (default) or ns. */
static int prof__collapsed_weight(int *ns, char *err, size_t errlen) {
  const char *v = secure_getenv("LIBPROF_COLLAPSED_WEIGHT");
  *ns = 0;
  if (v == NULL || *v == 0 || strcmp(v, "samples") == 0)
    return 0;
  if (strcmp(v, "ns") == 0) {
    *ns = 1;
    return 0;
  }
  prof__errf(err, errlen, "LIBPROF_COLLAPSED_WEIGHT=%s: accepts samples "
             "or ns", v);
  return PROF_ECONFIG;
}

/* The single output format: named, or implied by out's extension. */
static int prof__convert_format(const char *out, const char *format,
                                enum prof__format *f, char *err,
                                size_t errlen) {
  unsigned mask = 0;
  const char *bad = NULL;
  if (format != NULL) {
    if (prof__format_parse(format, &mask, &bad) != 0) {
      prof__errf(err, errlen, "unknown format \"%s\" (accepts speedscope, "
                 "d3, collapsed, pprof, html, svg)", bad ? bad : format);
      return PROF_EFORMAT;
    }
  } else {
    mask = prof__format_from_path(out);
  }
  if (mask == 0 || (mask & (mask - 1)) != 0) {
    prof__errf(err, errlen, format ? "name one output format, not \"%s\""
               : "%s: cannot tell the output format from the extension "
                 "(.speedscope.json, .json, .d3.json, .folded, .collapsed, "
                 ".pb.gz, .html, .svg); name one", format ? format : out);
    return PROF_EFORMAT;
  }
  *f = (enum prof__format)mask;
  return 0;
}

int prof_convert(const char *in, const char *out, const char *format,
                 char *errbuf, unsigned errlen) {
  struct prof__export_opts opts = {0};
  struct prof__model *m = NULL;
  enum prof__format f;
  if (in == NULL || out == NULL || *in == 0 || *out == 0) {
    prof__errf(errbuf, errlen, "prof_convert: input and output paths are "
               "required");
    return PROF_EINVAL;
  }
  int rc = prof__collapsed_weight(&opts.collapsed_ns, errbuf, errlen);
  if (rc == 0)
    rc = prof__convert_format(out, format, &f, errbuf, errlen);
  if (rc == 0)
    rc = prof__export_check(out, f, errbuf, errlen); /* before the work */
  if (rc == 0)
    rc = prof__read_profile(in, &m, errbuf, errlen);
  if (rc != 0)
    return rc;
  rc = prof__export_file(m, f, &opts, out);
  if (rc != 0) {
    int saved = errno;
    prof__errf(errbuf, errlen, "%s: cannot write: %s", out,
               rc == PROF_ENOMEM ? "out of memory"
               : rc == PROF_EOUTPUT && saved == EEXIST
                   ? "it is no longer absent or a regular file"
                   : strerror(saved));
  }
  prof__model_free(m);
  return rc;
}
