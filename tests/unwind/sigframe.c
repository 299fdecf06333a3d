/* Unwinding through a signal frame (issue 11): the CPU time is spent in
 * in_handler, inside a SIGUSR1 handler that main raises from
 * raise_site; and, built with and without frame pointers mixed
 * (mixed_fp has them, mixed_nofp not; see CMakeLists.txt), in
 * mixed_leaf under mixed_nofp under mixed_fp. Expected stacks:
 *   main > raise_site > raise ... [signal frame] > on_usr1 > in_handler
 *   main > mixed_fp > mixed_nofp > mixed_leaf
 * usage: sigframe SECONDS_OF_CPU */
#include <signal.h>
#include <stdlib.h>
#include <time.h>

volatile unsigned sink;

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
  signal(SIGUSR1, on_usr1);
  while (cpu_seconds() < secs) {
    raise_site();
    mixed_fp();
  }
  return 0;
}
