/* Stacks where unwinding used to break (issue 11), built -O0 with frame
 * pointers (tests/unwind/CMakeLists.txt). usage: stacks_prog SECONDS WHAT
 *   qsort     the CPU time is in cmp_keys, called back by libc's qsort,
 *             which Debian builds without frame pointers, under
 *             sort_round and main: a frame-pointer walk breaks in libc;
 *   sigframe  half of it in in_handler, inside a SIGUSR1 handler that
 *             main raises from raise_site (through the signal frame);
 *             half in mixed_leaf under mixed_nofp (no frame pointer)
 *             under mixed_fp (sigframe_mixed.c). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

volatile unsigned sink;
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

__attribute__((noinline)) void in_handler(void) {
  for (int i = 0; i < 200000; i++)
    sink = sink * 2654435761u + (unsigned)i;
}

static void on_usr1(int sig) {
  (void)sig;
  in_handler();
}

__attribute__((noinline)) void raise_site(void) { raise(SIGUSR1); }

void mixed_fp(void);

static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  double secs = argc > 1 ? atof(argv[1]) : 1.0;
  int sig = argc > 2 && strcmp(argv[2], "sigframe") == 0;
  unsigned seed = 1;
  signal(SIGUSR1, on_usr1);
  while (cpu_seconds() < secs) {
    if (!sig) {
      sort_round(seed++);
      continue;
    }
    raise_site();
    mixed_fp();
  }
  return 0;
}
