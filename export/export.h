/* Writers from the profile model to files. Collector thread or CLI only;
 * never in a signal handler. Not thread-safe per model (read-only use by
 * several writers one after another is fine). */
#ifndef PROF_EXPORT_EXPORT_H
#define PROF_EXPORT_EXPORT_H

#include <stdio.h>
#include "model.h"

enum prof__format {
  PROF__FMT_SPEEDSCOPE = 1u << 0,
  PROF__FMT_D3 = 1u << 1,
  PROF__FMT_COLLAPSED = 1u << 2,
  PROF__FMT_PPROF = 1u << 3,
  PROF__FMT_HTML = 1u << 4, /* self-contained flame graph page (html.c) */
  PROF__FMT_SVG = 1u << 5,  /* static flamegraph.pl-style picture (svg.c) */
  PROF__FMT_LAST = PROF__FMT_SVG
};

struct prof__export_opts {
  /* collapsed: 0 = integer sample counts, 1 = integer nanoseconds
   * (LIBPROF_COLLAPSED_WEIGHT=samples|ns) */
  int collapsed_ns;
};

/* Paths and values echoed in messages are cut to PROF__SHOWN bytes (then
 * "..."), so that a message about a 4000-byte path still fits one line
 * and its buffer. Use as printf("%.*s%s", PROF__CUT(s)). */
#define PROF__SHOWN 120
#define PROF__CUT(s) PROF__SHOWN, (s), strlen(s) > PROF__SHOWN ? "..." : ""

/* The name of one format ("speedscope", ...), or NULL. */
PROF__HIDDEN const char *prof__format_name(enum prof__format f);

/* Parses a comma list such as "speedscope,pprof" into a PROF__FMT_* mask.
 * Returns 0, or PROF_EFORMAT with *bad pointing into list at the bad name. */
PROF__HIDDEN int prof__format_parse(const char *list, unsigned *mask,
                                    const char **bad);

/* The format implied by a path's extension (.speedscope.json/.json,
 * .d3.json, .folded/.collapsed, .pb.gz, .html/.htm, .svg), or 0 when none matches. */
PROF__HIDDEN unsigned prof__format_from_path(const char *path);

/* The path format f is written to when the session's output is `path`:
 * path itself if its extension names f or if f is the only format asked
 * for, otherwise a sibling: path with its known extension
 * replaced by f's canonical one (.speedscope.json, .d3.json, .folded,
 * .pb.gz). Writes into buf; returns 0 or PROF_EINVAL if it does not fit. */
PROF__HIDDEN int prof__format_path(const char *path, unsigned mask,
                                   enum prof__format f, char *buf,
                                   size_t len);

/* Writes the model in format f to stream fp. Returns 0 or a negative
 * PROF_E* code. Stream writers do not close fp. */
PROF__HIDDEN int prof__export_stream(const struct prof__model *m,
                                     enum prof__format f,
                                     const struct prof__export_opts *o,
                                     FILE *fp);

/* Whether path may be written: under PATH_MAX with every name under
 * NAME_MAX, and nothing at it but possibly a regular file (never a
 * directory, device, FIFO, socket or symbolic link). Does not look at the
 * directory. Returns 0, or PROF_EOUTPUT with one line (naming path) in
 * err. */
PROF__HIDDEN int prof__export_check_path(const char *path, char *err,
                                         size_t errlen);

/* Whether a session whose output is out (%p expanded) can write every
 * file of the PROF__FMT_* mask: prof__export_check_path on each, and a
 * probe file created and removed in their directory. Returns 0, or
 * PROF_EOUTPUT with one line in err. Run at start so that a bad path is
 * refused before the run, not found at exit. */
PROF__HIDDEN int prof__export_check(const char *out, unsigned mask,
                                    char *err, size_t errlen);

/* Writes the model to path atomically: a temporary file in the same
 * directory (created O_EXCL|O_CLOEXEC), fsync'd, then renamed over path,
 * after prof__export_check_path(path) passed again. On any error the
 * temporary is removed, nothing appears at path and a file already there
 * is unchanged; errno tells what failed. */
PROF__HIDDEN int prof__export_file(const struct prof__model *m,
                                   enum prof__format f,
                                   const struct prof__export_opts *o,
                                   const char *path);

#endif
