/* The one growth helper for the growable arrays of the collector and the
 * exporters. Not thread-safe (one owner); never used in a signal handler. */
#ifndef PROF_BASE_GROW_H
#define PROF_BASE_GROW_H

#include <stddef.h>

#include "base/common.h"

/* Grows the array *arr of *cap elements of elem_size bytes (doubling,
 * from 16) until it holds `need`. Returns 0, or -1 on ENOMEM (or a size
 * that would overflow) with *arr and *cap unchanged. */
PROF__HIDDEN int prof__grow(void **arr, size_t *cap, size_t need,
                            size_t elem_size);

#endif
