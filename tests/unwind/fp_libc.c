/* Unwinding through code without frame pointers (issue 11): the CPU time
 * is in cmp_keys, called back by libc's qsort, which Debian builds
 * without frame pointers, under sort_round and main, built with them
 * (-O0 -fno-omit-frame-pointer). A frame-pointer walk breaks in libc;
 * the expected stack is main > sort_round > qsort > ... > cmp_keys.
 * usage: fp_libc SECONDS_OF_CPU */
#include <stdlib.h>
#include <time.h>

static unsigned keys[20000];

int cmp_keys(const void *a, const void *b) {
  unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
  for (int i = 0; i < 20; i++) /* some work in the callback itself */
    x = x * 2654435761u + 1, y = y * 2654435761u + 1;
  return (x > y) - (x < y);
}

void sort_round(unsigned seed) {
  for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
    keys[i] = seed = seed * 1103515245u + 12345u;
  qsort(keys, sizeof(keys) / sizeof(keys[0]), sizeof(keys[0]), cmp_keys);
}

static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  double secs = argc > 1 ? atof(argv[1]) : 1.0;
  unsigned seed = 1;
  while (cpu_seconds() < secs)
    sort_round(seed++);
  return 0;
}
