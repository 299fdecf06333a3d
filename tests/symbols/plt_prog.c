/* Calls through the PLT: cos from libm, strlen and puts from libc. The
 * test reads the names libprof gives the stubs' addresses. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  double x = argc > 1 ? atof(argv[1]) : 0.5;
  printf("%f %zu\n", cos(x), strlen(argv[0]));
  puts("done");
  return 0;
}
