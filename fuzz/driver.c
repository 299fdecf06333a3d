/* The corpus regression driver of the normal (gcc) build: runs
 * LLVMFuzzerTestOneInput once on every file named, or in the directories
 * named, as libFuzzer would replay them. A crash or abort fails the ctest
 * test; the exit status is 0 otherwise, 1 if an input cannot be read or
 * no input was found (an empty corpus proves nothing). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "fuzz driver: cannot open %s\n", path);
    return -1;
  }
  size_t cap = 1 << 16, n = 0, got;
  uint8_t *buf = malloc(cap);
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0)
    if ((n += got) == cap)
      buf = realloc(buf, cap *= 2);
  fclose(f);
  if (!buf)
    return -1;
  /* an exact-size copy, so reads past the end are caught as libFuzzer
   * would catch them */
  uint8_t *in = malloc(n ? n : 1);
  memcpy(in, buf, n);
  free(buf);
  LLVMFuzzerTestOneInput(in, n);
  free(in);
  return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b) {
  return strcmp((*a)->d_name, (*b)->d_name);
}

/* Runs every regular file of dir; returns the count, or -1. */
static int run_dir(const char *dir) {
  struct dirent **ents;
  int n = scandir(dir, &ents, NULL, by_name), k = 0, bad = 0;
  if (n < 0)
    return -1;
  for (int i = 0; i < n; i++) {
    char path[4096];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
      bad |= run_file(path);
      k++;
    }
    free(ents[i]);
  }
  free(ents);
  return bad ? -1 : k;
}

int main(int argc, char **argv) {
  int total = 0;
  if (LLVMFuzzerInitialize)
    LLVMFuzzerInitialize(&argc, &argv);
  for (int i = 1; i < argc; i++) {
    struct stat st;
    int k = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)
                ? run_dir(argv[i])
                : run_file(argv[i]) == 0;
    if (k < 0)
      return 1;
    total += k;
  }
  printf("fuzz driver: %d inputs ran\n", total);
  return total > 0 ? 0 : 1;
}
