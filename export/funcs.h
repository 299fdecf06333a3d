/* Frames merged into functions for the viewers that key on them.
 *
 * The model keeps one frame per distinct (name, file, line, address...),
 * so one function sampled at several PCs has several frames. speedscope
 * and d3-flame-graph identify a frame by its entry (speedscope by its
 * index in shared.frames, d3 by tree node), so those writers merge frames
 * equal in name, file, runtime and flags into one function first; a
 * sandwich row or flame-graph box is then one function, as in pprof's and
 * flamegraph.pl's views. address and module survive the merge only when
 * all merged frames agree on them; the line is the lowest one sampled.
 * Private to export/. Not thread-safe per map; never in a signal handler. */
#ifndef PROF_EXPORT_FUNCS_H
#define PROF_EXPORT_FUNCS_H

#include "export/model.h"

struct prof__fn_map {
  uint32_t *of_frame;            /* model frame index -> function index */
  struct prof__model_frame *fn;  /* functions, first-seen order; strings
                                    point into the model               */
  uint32_t nfn;
};

/* Builds the map for m. 0, or -1 on ENOMEM (map left empty). */
PROF__HIDDEN int prof__fn_map_build(const struct prof__model *m,
                                    struct prof__fn_map *map);
PROF__HIDDEN void prof__fn_map_free(struct prof__fn_map *map);

#endif
