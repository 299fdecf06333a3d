/* What linking libprof costs a host that does not profile (issue 10): a
 * host linked with libprof.so and run without LIBPROF_OUT must allocate
 * nothing in pthread_create and run no thread of libprof's. The same
 * program with a session running shows the wrapper (one allocation per
 * thread, libprof's threads), so the test tells the two apart.
 *   test_off_cost off   expects 0 allocations and 1 thread
 *   test_off_cost on    (LIBPROF_OUT set) expects 100 and more than 1 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "libprof.h"

extern void *__libc_malloc(size_t n);
static _Atomic long n_malloc;

/* Counts every malloc of the process, libprof's included (it binds to
 * the executable's definition like any library). */
void *malloc(size_t n) {
  atomic_fetch_add(&n_malloc, 1);
  return __libc_malloc(n);
}

static void *nop(void *arg) { return arg; }

static int tasks(void) {
  int n = 0;
  DIR *d = opendir("/proc/self/task");
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL)
    n += e->d_name[0] != '.';
  if (d)
    closedir(d);
  return n;
}

int main(int argc, char **argv) {
  int on = argc > 1 && strcmp(argv[1], "on") == 0;
  int threads = tasks();
  long in_create = 0;
  for (int i = 0; i < 100; i++) {
    pthread_t th;
    long before = atomic_load(&n_malloc);
    if (pthread_create(&th, NULL, nop, NULL) != 0)
      return 2;
    in_create += atomic_load(&n_malloc) - before;
    pthread_join(th, NULL);
  }
  printf("%s: %d threads at start, %ld allocations in 100 pthread_create, "
         "running %d\n", on ? "on" : "off", threads, in_create, prof_running());
  int ok = on ? in_create >= 100 && threads > 1 && prof_running()
              : in_create == 0 && threads == 1 && !prof_running();
  printf("%d passed, %d failed\n", ok, !ok);
  return ok ? 0 : 1;
}
