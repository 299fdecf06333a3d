/* PLT stubs are named "symbol@plt" (issue 11): every stub objdump names
 * in plt_prog, looked up at its first and last byte, gets objdump's name
 * from libprof's symbol table. usage: test_plt PROG OBJDUMP */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profiler/demangle.h"
#include "profiler/symtab.h"

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  int fd = open(argv[1], O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0)
    return 2;
  const unsigned char *img =
      mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  struct prof__symtab *t = prof__symtab_new(img, (size_t)st.st_size);
  char cmd[8300], line[512];
  snprintf(cmd, sizeof(cmd), "%s -d -j .plt -j .plt.sec '%s'", argv[2],
           argv[1]);
  FILE *p = popen(cmd, "r");
  int stubs = 0, bad = 0;
  while (t && p && fgets(line, sizeof(line), p)) {
    unsigned long long a;
    char name[256];
    size_t n;
    /* Entries only: objdump calls the lazy-binding header "x@plt-0x10". */
    if (sscanf(line, "%llx <%255[^>]>:", &a, name) != 2 ||
        (n = strlen(name)) < 4 || strcmp(name + n - 4, "@plt") != 0)
      continue;
    for (int off = 0; off < 16; off += 15) {
      const char *got = prof__symtab_lookup(t, a + (unsigned)off);
      int ok = got && strcmp(got, name) == 0;
      printf("%s 0x%llx+%d: objdump %s, libprof %s\n", ok ? "ok  " : "FAIL",
             a, off, name, got ? got : "(none)");
      bad += !ok;
    }
    stubs++;
  }
  /* The frame name keeps "@plt" (symbol versions and clone suffixes go). */
  struct prof__demangler *dm = prof__demangler_new();
  const char *d1 = prof__demangle(dm, "cos@plt");
  bad += strcmp(d1, "cos@plt") != 0;
  printf("demangled: %s\n", d1);
  const char *d2 = prof__demangle(dm, "clock_gettime@@GLIBC_2.17");
  bad += strcmp(d2, "clock_gettime") != 0;
  printf("demangled: %s\n", d2);
  prof__demangler_free(dm);
  int need = 3; /* cos, strlen, printf or puts: at least three */
  printf("%d stubs\n", stubs);
  if (p)
    pclose(p);
  prof__symtab_free(t);
  return bad || stubs < need ? 1 : 0;
}
