/* The per-format writers behind prof__export_stream(), the file readers
 * behind prof_convert()/prof_report(), and the small helpers they share.
 * Private to export/. Each writer reads the model only; each reader builds
 * a fresh model. Not thread-safe per model; never in a signal handler. */
#ifndef PROF_EXPORT_WRITERS_H
#define PROF_EXPORT_WRITERS_H

#include <stdio.h>

#include "export/export.h"
#include "export/model.h"

#define PROF__SPEEDSCOPE_SCHEMA \
  "https://www.speedscope.app/file-format-schema.json"
#define PROF__RUNTIME_LIBPROF "libprof" /* runtime of synthetic frames */
/* Assumed rate when an input holds counts but no rate (collapsed, d3 and
 * speedscope "none" units): libprof's default LIBPROF_HZ. */
#define PROF__DEFAULT_HZ 100u

/* Writers: 0 or a negative PROF_E* code. They never close fp. */
PROF__HIDDEN int prof__write_speedscope(const struct prof__model *m,
                                        FILE *fp);
PROF__HIDDEN int prof__write_d3(const struct prof__model *m, FILE *fp);
PROF__HIDDEN int prof__write_collapsed(const struct prof__model *m,
                                       const struct prof__export_opts *o,
                                       FILE *fp);
PROF__HIDDEN int prof__write_pprof(const struct prof__model *m, FILE *fp);
/* The self-contained flame graph page (html.c); embeds the d3 tree. */
PROF__HIDDEN int prof__write_html(const struct prof__model *m, FILE *fp);
/* A static flame graph picture in flamegraph.pl's style (svg.c). */
PROF__HIDDEN int prof__write_svg(const struct prof__model *m, FILE *fp);

/* "<thread name> (<tid>)", the name every format gives a thread. Returns a
 * malloc'd string the caller frees, or NULL on ENOMEM. */
PROF__HIDDEN char *prof__thread_label(const struct prof__model_thread *t);

/* The last path component of the model's program, or "libprof" when the
 * program is unknown. Points into the model (or a literal). */
PROF__HIDDEN const char *prof__program_name(const struct prof__model *m);

/* Nanoseconds between two samples at the model's rate (or the default). */
PROF__HIDDEN uint64_t prof__period_ns(const struct prof__model *m);

/* Reads a speedscope, d3-flame-graph, collapsed or pprof file into a new
 * model.
 * On error returns a negative PROF_E* code, *out stays NULL and err gets
 * one line naming the file and the problem. */
PROF__HIDDEN int prof__read_profile(const char *path, struct prof__model **out,
                                    char *err, size_t errlen);

/* Tells the format of a whole file's bytes buf[0..len) (NUL-terminated
 * at buf[len]) from its content and reads it into the empty model m with
 * the matching reader below. err: one line, without a file name. */
PROF__HIDDEN int prof__read_mem(struct prof__model *m, const char *buf,
                                size_t len, char *err, size_t errlen);

/* Format-specific readers over a whole file's bytes (NUL-terminated at
 * buf[len]); they fill the empty model m. The JSON one detects speedscope
 * versus d3 by content. err: as above, without the file name. */
PROF__HIDDEN int prof__read_json(struct prof__model *m, const char *buf,
                                 size_t len, char *err, size_t errlen);
/* pprof: gzip'd profile.proto (read_pprof.c). */
PROF__HIDDEN int prof__read_pprof(struct prof__model *m, const char *buf,
                                  size_t len, char *err, size_t errlen);
PROF__HIDDEN int prof__read_collapsed(struct prof__model *m, const char *buf,
                                      size_t len, int ns, char *err,
                                      size_t errlen);

/* Formats a one-line message into err (NULL or errlen 0: ignored). */
PROF__HIDDEN void prof__errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parses "name (tid)" as written by prof__thread_label. On success returns
 * 1 with *tid set and *namelen the length of the name part; else 0. */
PROF__HIDDEN int prof__parse_thread_label(const char *s, int64_t *tid,
                                          size_t *namelen);

#endif
