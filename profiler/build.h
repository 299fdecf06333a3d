/* Turns the aggregated raw stacks into the profile model: symbolizes each
 * distinct location once (native through symbolize.h, managed through the
 * runtimes' symbolizer hooks, one batch per runtime followed by the
 * pc == 0 call). Runs in the collector thread. */
#ifndef PROF_PROFILER_BUILD_H
#define PROF_PROFILER_BUILD_H

#include "export/model.h"
#include "profiler/aggregate.h"
#include "profiler/symbolize.h"

struct prof__build_meta {
  const char *program;
  int64_t pid;
  uint64_t start_unix_ns, duration_ns;
  uint32_t hz;
  const char *mode, *weight_kind;
  struct prof__model_counters counters;
};

/* Returns 0 and *out (caller frees with prof__model_free), or PROF_ENOMEM. */
PROF__HIDDEN int prof__build_model(const struct prof__agg *a,
                                   struct prof__modules *ms,
                                   struct prof__natsym *ns,
                                   const struct prof__build_meta *meta,
                                   struct prof__model **out);

#endif
