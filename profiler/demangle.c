/* See demangle.h. Why no link dependency: a C host must not gain
 * libstdc++ because it is profiled; a C++ host already has it loaded, so
 * dlsym finds it there. */
#include "profiler/demangle.h"

#include <ctype.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

typedef char *(*prof__cxa_fn)(const char *, char *, size_t *, int *);

struct prof__demangler {
  prof__cxa_fn cxa;
  char *last;     /* what __cxa_demangle returned last (malloc'd) */
  char rust[1024];
  char plain[1024]; /* name without its clone suffix */
};

/* A libstdc++ loaded RTLD_LOCAL (a C++ plugin in a C host) is not in the
 * global scope; RTLD_NOLOAD reaches it without loading anything new. */
static prof__cxa_fn prof__find_cxa(void) {
  void *f = dlsym(RTLD_DEFAULT, "__cxa_demangle");
  if (!f) {
    void *h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_NOLOAD);
    if (h) {
      f = dlsym(h, "__cxa_demangle");
      dlclose(h); /* drops only the reference NOLOAD took */
    }
  }
  return (prof__cxa_fn)f;
}

struct prof__demangler *prof__demangler_new(void) {
  struct prof__demangler *d = calloc(1, sizeof(*d));
  if (d)
    d->cxa = prof__find_cxa();
  return d;
}

void prof__demangler_free(struct prof__demangler *d) {
  if (!d)
    return;
  free(d->last);
  free(d);
}

/* Rust's "$..$" escapes inside one path segment. */
static const char *prof__rust_escape(const char *e, size_t n, char *one) {
  static const struct { const char *code, *text; } tab[] = {
      {"SP", "@"}, {"BP", "*"}, {"RF", "&"}, {"LT", "<"}, {"GT", ">"},
      {"LP", "("}, {"RP", ")"}, {"C", ","}};
  for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
    if (strlen(tab[i].code) == n && memcmp(e, tab[i].code, n) == 0)
      return tab[i].text;
  if (n == 3 && e[0] == 'u' && isxdigit((unsigned char)e[1]) &&
      isxdigit((unsigned char)e[2])) {
    char hex[3] = {e[1], e[2], 0};
    one[0] = (char)strtol(hex, NULL, 16);
    one[1] = '\0';
    return isprint((unsigned char)one[0]) ? one : NULL;
  }
  return NULL;
}

struct prof__sbuf {
  char *p;
  size_t len, cap;
};

static void prof__sput(struct prof__sbuf *b, const char *s, size_t n) {
  for (size_t i = 0; i < n && b->len + 1 < b->cap; i++)
    b->p[b->len++] = s[i];
  b->p[b->len] = '\0';
}

/* Decodes one segment; -1 on an escape Rust never produces. */
static int prof__rust_segment(const char *s, size_t n, struct prof__sbuf *b) {
  char one[2];
  if (n >= 2 && s[0] == '_' && s[1] == '$')
    s++, n--;
  for (size_t i = 0; i < n;) {
    if (s[i] == '.') {
      int two = i + 1 < n && s[i + 1] == '.';
      prof__sput(b, two ? "::" : ".", two ? 2 : 1);
      i += two ? 2 : 1;
    } else if (s[i] == '$') {
      const char *end = memchr(s + i + 1, '$', n - i - 1);
      const char *t = end ? prof__rust_escape(s + i + 1,
                                              (size_t)(end - s - i - 1), one)
                          : NULL;
      if (!t)
        return -1;
      prof__sput(b, t, strlen(t));
      i = (size_t)(end - s) + 1;
    } else {
      prof__sput(b, s + i++, 1);
    }
  }
  return 0;
}

static int prof__is_rust_hash(const char *s, size_t n) {
  if (n != 17 || s[0] != 'h')
    return 0;
  for (size_t i = 1; i < n; i++)
    if (!isxdigit((unsigned char)s[i]))
      return 0;
  return 1;
}

int prof__demangle_rust_legacy(const char *name, char *out, size_t outlen) {
  struct prof__sbuf b = {out, 0, outlen};
  const char *p = name + 3;
  int segs = 0, hashed = 0;
  if (strncmp(name, "_ZN", 3) != 0)
    return -1;
  out[0] = '\0';
  while (*p != 'E') {
    char *end;
    unsigned long n = strtoul(p, &end, 10);
    if (end == p || n == 0 || strnlen(end, n) < n)
      return -1;
    hashed = prof__is_rust_hash(end, n) && end[n] == 'E';
    if (!hashed) {
      if (segs++)
        prof__sput(&b, "::", 2);
      if (prof__rust_segment(end, n, &b) != 0)
        return -1;
    }
    p = end + n;
  }
  /* ".llvm.<digits>" is LTO's uniquifier: noise to a reader. */
  if (p[1] != '\0' && strncmp(p + 1, ".llvm.", 6) != 0)
    prof__sput(&b, p + 1, strlen(p + 1));
  return hashed && segs ? 0 : -1;
}

/* GCC and LLVM name the copies they make of one source function
 * (foo.part.0, foo.isra.0, foo.constprop.0, foo.cold, foo.llvm.123...);
 * to a reader, and to a flame graph, they are that function. A .symtab
 * also spells symbol versions into names (clock_gettime@@GLIBC_2.17);
 * "@plt" is not one: it names the stub that calls the function. */
static size_t prof__clone_cut(const char *name) {
  static const char *const words[] = {"part", "isra", "constprop", "cold",
                                      "lto_priv", "localalias", "clone",
                                      "llvm", "specialized"};
  size_t end = strcspn(name, "@");
  if (strcmp(name + end, "@plt") == 0) /* a PLT stub (symtab.c), kept */
    end += 4;
  for (const char *dot = strchr(name, '.'); dot && (size_t)(dot - name) < end;
       dot = strchr(dot + 1, '.')) {
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
      size_t n = strlen(words[i]);
      if (strncmp(dot + 1, words[i], n) == 0 &&
          (dot[1 + n] == '\0' || dot[1 + n] == '.' || dot[1 + n] == '@'))
        return (size_t)(dot - name);
    }
  }
  return end;
}

static const char *prof__strip_clone(const char *name, char *buf, size_t len) {
  size_t cut = prof__clone_cut(name);
  if (name[cut] == '\0' || cut == 0 || cut >= len)
    return name;
  memcpy(buf, name, cut);
  buf[cut] = '\0';
  return buf;
}

const char *prof__demangle(struct prof__demangler *d, const char *name) {
  if (!d)
    return name;
  name = prof__strip_clone(name, d->plain, sizeof(d->plain));
  if (strncmp(name, "_Z", 2) != 0)
    return name; /* Rust v0 ("_R") stays raw, see docs/symbolization.md */
  if (prof__demangle_rust_legacy(name, d->rust, sizeof(d->rust)) == 0)
    return d->rust;
  if (!d->cxa)
    return name;
  int status = -1;
  char *s = d->cxa(name, NULL, NULL, &status);
  if (status != 0 || !s) {
    free(s);
    return name;
  }
  free(d->last);
  d->last = s;
  return s;
}
