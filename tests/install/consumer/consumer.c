/* A tiny host built against the installed libprof: profiles a region with
 * prof_start/prof_stop and checks the output file exists. */
#include <libprof.h>
#include <stdio.h>
#include <sys/stat.h>

static volatile unsigned sink;

int main(int argc, char **argv) {
  struct prof_options o = {.out = argv[1], .quiet = 1};
  int r = prof_start(&o);
  if (r != 0) {
    fprintf(stderr, "prof_start: %s\n", prof_strerror(r));
    return 1;
  }
  for (unsigned i = 0; i < 50000000u; i++)
    sink += i * i;
  r = prof_stop();
  struct stat st;
  printf("libprof %s: stop %d\n", prof_version(), r);
  return r == 0 && stat(argv[1], &st) == 0 && st.st_size > 0 ? 0 : 1;
}
