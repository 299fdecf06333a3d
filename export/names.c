/* Short function names for reports, as pprof shows C++ names: template
 * arguments <...> and parameter lists (...) are elided, with their
 * nesting; "(anonymous namespace)" and operator names stay; GCC's
 * " [clone .constprop.0]" and "[abi:cxx11]" tags go. So
 *   std::vector<int, std::allocator<int> >::push_back(int const&)
 * becomes std::vector::push_back. Pure string work: thread-safe; never in
 * a signal handler. */
#include "export/names.h"

#include <stdlib.h>
#include <string.h>

static const char prof__op_chars[] = "<>=!+-*/%&|^~[],";

/* Copies an operator's symbol after "operator" ("()", "<<=", "->"...). */
static size_t prof__name_operator(const char *s, char *o, size_t *j) {
  size_t i = 0;
  if (s[0] == '(' && s[1] == ')') {
    o[(*j)++] = '(';
    o[(*j)++] = ')';
    return 2;
  }
  while (s[i] != 0 && i < 3 && strchr(prof__op_chars, s[i]) != NULL)
    o[(*j)++] = s[i++];
  return i;
}

/* The length of a tag to drop at s: " [clone ...]" or "[abi:...]". */
static size_t prof__name_tag(const char *s) {
  const char *open = NULL;
  if (strncmp(s, " [clone ", 8) == 0)
    open = s + 1;
  else if (strncmp(s, "[abi:", 5) == 0)
    open = s;
  const char *close = open ? strchr(open, ']') : NULL;
  return close ? (size_t)(close + 1 - s) : 0;
}

/* The length of the bracket group starting at s (depth counted over both
 * kinds), or 0 when it does not close. */
static size_t prof__name_group(const char *s) {
  int depth = 0;
  for (size_t i = 0; s[i] != 0; i++) {
    if (s[i] == '<' || s[i] == '(')
      depth++;
    else if (s[i] == '>' || s[i] == ')')
      depth--;
    if (depth == 0)
      return i + 1;
  }
  return 0;
}

char *prof__short_name(const char *name) {
  size_t n = strlen(name), j = 0;
  char *o = malloc(n + 1);
  if (o == NULL)
    return NULL;
  for (size_t i = 0; i < n;) {
    size_t k;
    if (j >= 8 && memcmp(o + j - 8, "operator", 8) == 0 &&
        (k = prof__name_operator(name + i, o, &j)) > 0) {
      i += k;
    } else if ((k = prof__name_tag(name + i)) > 0) {
      i += k;
    } else if (strncmp(name + i, "(anonymous namespace)", 21) == 0) {
      memcpy(o + j, name + i, 21);
      i += 21;
      j += 21;
    } else if ((name[i] == '<' || name[i] == '(') &&
               (k = prof__name_group(name + i)) > 0) {
      i += k;
    } else {
      o[j++] = name[i++];
    }
  }
  /* What is left after a parameter list: " const", " &&", " volatile". */
  while (j > 0 && (o[j - 1] == ' ' || o[j - 1] == '&'))
    j--;
  if (j >= 6 && memcmp(o + j - 6, " const", 6) == 0)
    j -= 6;
  o[j] = 0;
  if (j == 0) { /* nothing but brackets: keep the name */
    free(o);
    return strdup(name);
  }
  return o;
}
