/* libc static functions: the time goes to a comparator called back from
 * glibc's qsort, whose merge sort (msort_with_tmp) is a static function
 * that only libc's separate debug file (libc6-dbg) names.
 * Usage: qsort_prog SECONDS */
#include <stdlib.h>
#include <time.h>

#define N 4096

static volatile unsigned sink;

__attribute__((noinline)) int cmp_slow(const void *a, const void *b) {
  unsigned x = *(const unsigned *)a, y = *(const unsigned *)b, h = x;
  for (int i = 0; i < 64; i++)
    h = h * 2654435761u + (unsigned)i; /* CMP_LINE */
  sink += h;
  return (x > y) - (x < y);
}

static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  double secs = argc > 1 ? atof(argv[1]) : 1.0;
  static unsigned v[N];
  unsigned seed = 1;
  while (cpu_seconds() < secs) {
    for (int i = 0; i < N; i++)
      v[i] = (seed = seed * 1103515245u + 12345u);
    qsort(v, N, sizeof(*v), cmp_slow); /* QSORT_LINE */
  }
  return 0;
}
