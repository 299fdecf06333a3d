/* Code for the unwinder to walk: built -O2 -fomit-frame-pointer (see
 * CMakeLists.txt), so only DWARF CFI describes its frames. */
#ifndef PROF_TESTS_UNWIND_WORKLOAD_H
#define PROF_TESTS_UNWIND_WORKLOAD_H

#include <stdint.h>

/* Recurses depth levels through two functions with different frame
 * shapes (one uses a variable-length array, so its CFA is RBP-based),
 * then calls leaf (if non-NULL) or spins briefly. */
uint64_t wl_recurse(int depth, uint64_t x, void (*leaf)(void));

/* Sorts n integers with a comparator that calls leaf on its k-th call
 * (k < 0: never): the comparator runs under glibc's frameless qsort. */
uint64_t wl_sort(int n, long k, void (*leaf)(void));

/* Loops over recursion and sorting until *stop is set; for threads that
 * are sampled at arbitrary instructions. */
void wl_mix(const volatile int *stop);

#endif
