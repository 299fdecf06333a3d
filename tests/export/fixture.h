/* The fixed in-memory profile every export test writes: two threads, two
 * runtimes (native and "tiny"), an inlined frame, a truncated stack, a
 * recursive stack, a function sampled at two PCs, two modules with
 * build-ids. Test code only. */
#ifndef PROF_TESTS_EXPORT_FIXTURE_H
#define PROF_TESTS_EXPORT_FIXTURE_H

#include "export/model.h"

/* Builds the fixture; NULL on allocation failure (nothing leaked). */
struct prof__model *fixture_model(void);

/* Builds a large synthetic model: `nsamples` samples over `npcs` distinct
 * native frames in 4 threads, stacks 8..23 deep, drawn from `nstacks`
 * distinct call paths (0: every sample a new path, the worst case).
 * Deterministic. NULL on failure. */
struct prof__model *fixture_big_model(size_t nsamples, size_t npcs,
                                      size_t nstacks);

#endif
