/* See workload.h. Every recursive call's result is used after the call,
 * so the compiler cannot turn the recursion into a loop or a tail call. */
#include "workload.h"

#include <alloca.h>
#include <stdlib.h>

static volatile uint64_t wl_sink;

__attribute__((noinline)) static uint64_t wl_spin(uint64_t x) {
  for (int i = 0; i < 64; i++)
    x = x * 6364136223846793005ull + 1442695040888963407ull;
  wl_sink = x;
  return x;
}

static uint64_t wl_rec_b(int depth, uint64_t x, void (*leaf)(void));

__attribute__((noinline)) static uint64_t wl_rec_a(int depth, uint64_t x,
                                                   void (*leaf)(void)) {
  volatile uint64_t local[4] = {x, x + 1, x + 2, x + 3};
  if (depth <= 0) {
    if (leaf)
      leaf();
    return wl_spin(x) + local[x & 3];
  }
  return wl_rec_b(depth - 1, x * 3 + 1, leaf) + local[(x >> 3) & 3];
}

/* A variable-sized frame: GCC keeps RBP as the CFA base here even with
 * -fomit-frame-pointer. */
__attribute__((noinline)) static uint64_t wl_rec_b(int depth, uint64_t x,
                                                   void (*leaf)(void)) {
  size_t n = 2 + (x & 7);
  volatile uint64_t *v = alloca(n * sizeof(*v));
  v[0] = x;
  v[n - 1] = x >> 1;
  if (depth <= 0) {
    if (leaf)
      leaf();
    return wl_spin(x) + v[0];
  }
  return wl_rec_a(depth - 1, x ^ 0x9e37, leaf) + v[n - 1];
}

uint64_t wl_recurse(int depth, uint64_t x, void (*leaf)(void)) {
  return wl_rec_a(depth, x, leaf) + 1;
}

static _Thread_local long wl_calls, wl_trigger = -1;
static _Thread_local void (*wl_leaf)(void);

static int wl_cmp(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  if (wl_calls++ == wl_trigger && wl_leaf)
    wl_leaf();
  wl_sink += (uint64_t)(x ^ y);
  return (x > y) - (x < y);
}

uint64_t wl_sort(int n, long k, void (*leaf)(void)) {
  int *a = malloc((size_t)n * sizeof(*a));
  if (!a)
    return 0;
  for (int i = 0; i < n; i++)
    a[i] = (int)((i * 2654435761u) >> 7);
  wl_calls = 0;
  wl_trigger = k;
  wl_leaf = leaf;
  qsort(a, (size_t)n, sizeof(*a), wl_cmp);
  uint64_t r = (uint64_t)a[0] + (uint64_t)a[n - 1];
  free(a);
  return r;
}

void wl_mix(const volatile int *stop) {
  uint64_t x = 1;
  while (!*stop) {
    for (int d = 1; d < 40 && !*stop; d += 3)
      x += wl_recurse(d, x, NULL);
    x += wl_sort(2000, -1, NULL);
  }
  wl_sink = x;
}
