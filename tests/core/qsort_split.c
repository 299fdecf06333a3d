/* Accuracy workload: a known 70/30 split of CPU between two comparators,
 * both called back from libc's qsort. Built -O2 -fomit-frame-pointer, so
 * only DWARF unwinding gets `main -> qsort_r -> cmp_*` right.
 * Usage: qsort_split SECONDS */
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <time.h>

#define N 4096

static volatile unsigned sink;

/* Both comparators do the same work per call; the split comes from how
 * many sorts use each, so the ratio does not depend on the compiler. The
 * salts differ so that identical-code folding cannot merge the two. */
static inline __attribute__((always_inline)) int
spin_compare(const void *a, const void *b, unsigned salt) {
  unsigned x = *(const unsigned *)a, y = *(const unsigned *)b, h = x ^ salt;
  for (int i = 0; i < 40; i++)
    h = h * 2654435761u + (unsigned)i;
  sink += h;
  return (x > y) - (x < y);
}

__attribute__((noinline)) int cmp_seventy(const void *a, const void *b) {
  return spin_compare(a, b, 7);
}

__attribute__((noinline)) int cmp_thirty(const void *a, const void *b) {
  return spin_compare(a, b, 3);
}

static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sort_with(unsigned *v, unsigned seed,
                      int (*cmp)(const void *, const void *)) {
  for (int i = 0; i < N; i++)
    v[i] = (seed = seed * 1103515245u + 12345u);
  qsort(v, N, sizeof(*v), cmp);
}

int main(int argc, char **argv) {
  double secs = argc > 1 ? atof(argv[1]) : 2.0;
  static unsigned v[N];
  unsigned seed = 1;
  double end = cpu_seconds() + secs;
  while (cpu_seconds() < end) {
    for (int i = 0; i < 7; i++)
      sort_with(v, seed++, cmp_seventy);
    for (int i = 0; i < 3; i++)
      sort_with(v, seed++, cmp_thirty);
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  /* The test compares this with the profile's total weight. */
  printf("cpu_ns %lld\n",
         (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
             (long long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL);
  return (int)(sink & 0);
}
