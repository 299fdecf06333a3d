/* Helpers shared by the writers and readers (see writers.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/writers.h"

char *prof__thread_label(const struct prof__model_thread *t) {
  const char *name = t->name ? t->name : "";
  size_t n = strlen(name) + 32;
  char *s = malloc(n);
  if (s != NULL)
    snprintf(s, n, "%s (%lld)", name, (long long)t->tid);
  return s;
}

int prof__parse_thread_label(const char *s, int64_t *tid, size_t *namelen) {
  size_t n = strlen(s);
  const char *open = strrchr(s, '(');
  char *end;

  if (n < 4 || s[n - 1] != ')' || open == NULL || open == s ||
      open[-1] != ' ')
    return 0;
  /* strtoll would skip blanks and take '+': only digits (and '-') are a
   * tid as prof__thread_label writes it. */
  if (!(open[1] == '-' || (open[1] >= '0' && open[1] <= '9')))
    return 0;
  errno = 0;
  long long v = strtoll(open + 1, &end, 10);
  if (end == open + 1 || end != s + n - 1 || errno != 0)
    return 0;
  *tid = v;
  *namelen = (size_t)(open - 1 - s);
  return 1;
}

const char *prof__program_name(const struct prof__model *m) {
  const char *p = m->program;
  if (p == NULL || *p == 0)
    return "libprof";
  const char *slash = strrchr(p, '/');
  return (slash != NULL && slash[1] != 0) ? slash + 1 : p;
}

uint64_t prof__period_ns(const struct prof__model *m) {
  uint32_t hz = m->hz ? m->hz : PROF__DEFAULT_HZ;
  return 1000000000ull / hz;
}

void prof__errf(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  if (err == NULL || errlen == 0)
    return;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  /* One line, always: a message built from file content could hold a
   * newline. */
  for (char *c = err; *c != 0; c++)
    if (*c == '\n' || *c == '\r')
      *c = ' ';
}
