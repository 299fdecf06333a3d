#include "base/grow.h"

#include <stdint.h>
#include <stdlib.h>

int prof__grow(void **arr, size_t *cap, size_t need, size_t elem_size) {
  if (need <= *cap)
    return 0;
  size_t ncap = *cap ? *cap : 16;
  while (ncap < need) {
    if (ncap > SIZE_MAX / 2)
      return -1;
    ncap *= 2;
  }
  if (elem_size && ncap > SIZE_MAX / elem_size)
    return -1;
  void *n = realloc(*arr, ncap * elem_size);
  if (n == NULL)
    return -1;
  *arr = n;
  *cap = ncap;
  return 0;
}
