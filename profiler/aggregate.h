/* Aggregation of identical raw stacks per thread. Collector only. */
#ifndef PROF_PROFILER_AGGREGATE_H
#define PROF_PROFILER_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>

#include "base/hash.h"
#include "profiler/stack.h"

struct prof__agg_entry {
  int32_t tid;
  uint32_t nframes;
  size_t off;      /* first frame in the arena (innermost first) */
  uint64_t count;
  uint64_t weight_ns;
};

struct prof__agg_thread {
  int32_t tid;
  char name[64];
};

struct prof__agg {
  struct prof__agg_entry *entries;
  size_t nentries, capentries;
  struct prof__hash_table index; /* stack hash -> entry */
  struct prof__rawframe *arena;
  size_t narena, caparena;
  struct prof__agg_thread *threads;
  size_t nthreads, capthreads;
};

PROF__HIDDEN void prof__agg_init(struct prof__agg *a);
PROF__HIDDEN void prof__agg_destroy(struct prof__agg *a);

/* Adds one sample. Returns 0, or -1 on ENOMEM (the sample is lost). */
PROF__HIDDEN int prof__agg_add(struct prof__agg *a, int32_t tid,
                               const struct prof__rawframe *frames,
                               uint32_t n, uint64_t weight_ns);

/* Records a thread the first time it is seen (reads its name). */
PROF__HIDDEN void prof__agg_thread_seen(struct prof__agg *a, int32_t tid);
/* Re-reads the names of threads still alive (names set late). */
PROF__HIDDEN void prof__agg_thread_names(struct prof__agg *a);

static inline const struct prof__rawframe *
prof__agg_frames(const struct prof__agg *a, const struct prof__agg_entry *e) {
  return a->arena + e->off;
}

#endif
