/* Shared pieces of the JSON readers (speedscope and d3-flame-graph):
 * typed getters over jansson values and the two format readers.
 * Private to export/. Thread-safe (no shared state); never in a signal
 * handler. */
#ifndef PROF_EXPORT_READ_JSON_H
#define PROF_EXPORT_READ_JSON_H

#include <jansson.h>

#include "export/model.h"
#include "export/writers.h" /* PROF__DEFAULT_HZ */

/* Member k of object o as a string, or NULL when absent or not a string. */
PROF__HIDDEN const char *prof__rj_str(const json_t *o, const char *k);

/* Member k as a non-negative integer (JSON integer, or a real with no
 * fraction). Returns 1 and sets *v, 0 when absent, -1 when of the wrong
 * type or negative. */
PROF__HIDDEN int prof__rj_u64(const json_t *o, const char *k, uint64_t *v);

/* A JSON number as a double; 0 when j is not a number. */
PROF__HIDDEN double prof__rj_num(const json_t *j);

/* x rounded to the nearest integer, clamped to [0, UINT64_MAX]. */
PROF__HIDDEN uint64_t prof__rj_round(double x);

/* a * b, or UINT64_MAX when that overflows (prof__rj_add then refuses
 * it as over the limit). */
PROF__HIDDEN uint64_t prof__rj_mul(uint64_t a, uint64_t b);

/* The deepest stack a reader takes: far above LIBPROF_MAX_DEPTH's 4096,
 * and a bound on what a hostile file can make the readers allocate. */
#define PROF__READ_MAX_DEPTH 8192

/* What a file has added so far. Every reader keeps one, so that no sum a
 * writer or prof_report forms (per thread, per function, whole profile)
 * can overflow: the file's total weight stays <= INT64_MAX ns (pprof's
 * values are int64), and its total count <= PROF__READ_MAX_COUNT, so that
 * the counts, turned into time at the default rate by a reader of a
 * format that keeps only them (collapsed), still fit: every file written
 * from what was read can be read back. */
#define PROF__READ_MAX_COUNT (INT64_MAX / (1000000000 / PROF__DEFAULT_HZ))
struct prof__rj_total {
  uint64_t count, weight_ns;
};

/* Interns the stack frames[0..n) (model frame indices, root first) and
 * adds the sample to thread ti. Marks the stack truncated when its root
 * is the synthetic "[truncated]" frame. Returns 0, PROF_ENOMEM, or
 * PROF_EFORMAT (err set) for a stack deeper than PROF__READ_MAX_DEPTH or
 * a total over the limits above. */
PROF__HIDDEN int prof__rj_add(struct prof__model *m, struct prof__rj_total *t,
                              size_t ti, const uint32_t *frames, uint32_t n,
                              uint64_t count, uint64_t weight_ns, char *err,
                              size_t errlen);

/* Readers of a parsed document; err gets a one-line message. */
PROF__HIDDEN int prof__read_speedscope(struct prof__model *m,
                                       const json_t *root, char *err,
                                       size_t errlen);
PROF__HIDDEN int prof__read_d3(struct prof__model *m, const json_t *root,
                               char *err, size_t errlen);

#endif
