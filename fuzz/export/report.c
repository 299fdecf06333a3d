/* Fuzz target: prof_report, what `libprof report` runs, on any file:
 * loading, format detection, every reader, the table. The input is
 * handed over as a file (a memfd), as the CLI does. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz/export/fuzz_export.h"
#include "libprof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[64], err[256], *table = NULL;
  size_t n = 0;
  int fd = memfd_create("libprof-fuzz", MFD_CLOEXEC);
  if (fd < 0)
    return 0;
  if (write(fd, data, size) == (ssize_t)size) {
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    FILE *out = open_memstream(&table, &n);
    prof_report(path, out, 20, NULL, err, sizeof(err));
    fclose(out);
    free(table);
  }
  close(fd);
  return 0;
}
