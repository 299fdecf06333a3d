/* Unloaded-plugin workload. Loads plugin A, spends half of the CPU time
 * in it and dlcloses it; then loads plugin B (the loader usually puts it
 * where A was), spends a quarter in it and dlcloses it; the last quarter
 * is spent here. Both plugins are gone when the profile is written, and
 * A's samples must not take B's names (nor B's A's). With REPLACEMENT,
 * that file is renamed over PLUGIN_A once A is unloaded, as a package
 * upgrade would: A must still be named from what was loaded.
 * Usage: plugin_host SECONDS PLUGIN_A PLUGIN_B [REPLACEMENT] */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned sink;

static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) void host_burn(unsigned seed) {
  unsigned h = seed;
  for (int i = 0; i < 20000; i++)
    h = h * 2654435761u + (unsigned)i; /* HOST_LINE */
  sink += h;
}

static int run_plugin(const char *path, double secs) {
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  void (*run)(double) = h ? (void (*)(double))dlsym(h, "plugin_run") : NULL;
  if (!run) {
    fprintf(stderr, "plugin_host: %s\n", dlerror());
    return -1;
  }
  fprintf(stderr, "plugin_host: %s at %p\n", path, (void *)run);
  run(secs);
  return dlclose(h);
}

int main(int argc, char **argv) {
  if (argc < 4)
    return 2;
  double secs = atof(argv[1]);
  if (run_plugin(argv[2], secs / 2))
    return 1;
  if (argc > 4 && rename(argv[4], argv[2]) != 0) {
    perror("plugin_host: rename");
    return 1;
  }
  if (run_plugin(argv[3], secs / 4))
    return 1;
  double end = cpu_seconds() + secs / 4;
  unsigned seed = 1;
  while (cpu_seconds() < end)
    host_burn(seed++);
  return 0;
}
