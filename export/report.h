/* prof_report internals shared by report.c (header, thread and function
 * tables) and report_tree.c (the top-down tree). Private to export/.
 * One report per call; not thread-safe per report; never in a signal
 * handler. */
#ifndef PROF_EXPORT_REPORT_H
#define PROF_EXPORT_REPORT_H

#include <stdio.h>

#include "base/hash.h"
#include "export/model.h"
#include "libprof.h"

/* A row: a function (short or full name, runtime), or with
 * PROF_REPORT_LINES a function at one source line. */
struct prof__rfunc {
  const char *name;    /* display name: in names[] or in the model */
  const char *runtime;
  const char *file;    /* lines mode only */
  uint32_t line;
  uint64_t self, total;       /* nanoseconds */
  uint64_t self_n, total_n;   /* samples     */
  size_t stamp;        /* last sample that counted its total, + 1 */
};

struct prof__report {
  const struct prof__model *m;
  const struct prof_report_opts *o;
  struct prof__rfunc *funcs;
  size_t nfuncs;
  uint32_t *frame_func; /* frame index -> function index */
  char **names;         /* shortened names made here, per frame or NULL */
  struct prof__hash_table tab;
  uint64_t weight, count;
  size_t nthreads;
  int counts;           /* show sample counts: the file has no time unit */
};

/* The selected thread? (name, tid or "name (tid)"; NULL selects all) */
PROF__HIDDEN int prof__report_thread_matches(
    const struct prof__model_thread *t, const char *sel);

/* A quantity in the report's unit: milliseconds, or samples. */
PROF__HIDDEN double prof__report_value(const struct prof__report *r,
                                       uint64_t ns, uint64_t n);

/* Decimals of a printed quantity: 3 for milliseconds, 0 for samples. */
PROF__HIDDEN int prof__report_prec(const struct prof__report *r);

/* Prints the top-down call tree of the selected threads. 0 or
 * PROF_ENOMEM. */
PROF__HIDDEN int prof__report_tree(const struct prof__report *r, FILE *fp);

#endif
