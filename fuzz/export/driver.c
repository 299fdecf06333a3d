/* Feeds files to LLVMFuzzerTestOneInput without libFuzzer, so that a
 * target's corpus runs as a regression test in any build:
 *   fuzz_export_<target>_corpus FILE|DIR...
 * A crash, an abort or a sanitizer report fails the test. Prints the
 * number of inputs run; a corpus that is missing or empty fails. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz/export/fuzz_export.h"

static int driver_file(const char *path) {
  struct stat st;
  FILE *f = fopen(path, "rb");
  if (f == NULL || fstat(fileno(f), &st) != 0) {
    if (f != NULL)
      fclose(f);
    return -1;
  }
  /* Exactly the file's bytes, so ASan sees any read past the input. */
  size_t n = (size_t)st.st_size;
  uint8_t *data = malloc(n ? n : 1);
  int ok = data != NULL && fread(data, 1, n, f) == n;
  fclose(f);
  if (ok)
    LLVMFuzzerTestOneInput(data, n);
  free(data);
  return ok ? 0 : -1;
}

static int driver_path(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0)
    return -1;
  if (!S_ISDIR(st.st_mode))
    return driver_file(path) == 0 ? 1 : -1;
  struct dirent **names;
  int n = scandir(path, &names, NULL, alphasort), runs = 0;
  for (int i = 0; i < n; i++) {
    char sub[4096];
    snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
    if (names[i]->d_name[0] != '.' && runs >= 0) {
      int r = driver_path(sub);
      runs = r < 0 ? -1 : runs + r;
    }
    free(names[i]);
  }
  free(names);
  return n < 0 ? -1 : runs;
}

int main(int argc, char **argv) {
  int total = 0;
  for (int i = 1; i < argc; i++) {
    int r = driver_path(argv[i]);
    if (r <= 0) {
      fprintf(stderr, "%s: unreadable, or no inputs in it\n", argv[i]);
      return 1;
    }
    total += r;
  }
  printf("%d inputs run\n", total);
  return total > 0 ? 0 : 1;
}
