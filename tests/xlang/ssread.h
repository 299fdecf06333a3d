/* Minimal reader of libprof speedscope output for C tests. */
#ifndef SSREAD_H
#define SSREAD_H

#include <stddef.h>

struct ss_frame {
  const char *name, *runtime, *file;
  int inlined;
};

struct ss_stack {
  struct ss_frame *frames; /* root first */
  size_t n;
  double weight;
};

struct ss_thread {
  char name[128];
  struct ss_stack *stacks;
  size_t n;
};

struct ss_profile {
  struct ss_thread *threads;
  size_t n;
  void *doc_; /* json_t *, owns every string */
};

int ss_load(const char *path, struct ss_profile *p);
void ss_free(struct ss_profile *p);
/* The thread whose profile name starts with "<name> (" or NULL. */
const struct ss_thread *ss_thread(const struct ss_profile *p, const char *name);
/* Index of the first frame named `name` in s, or -1. */
int ss_find(const struct ss_stack *s, const char *name);
/* "a > b > c" from index `from`, into buf. */
const char *ss_join(const struct ss_stack *s, size_t from, char *buf,
                    size_t len);

#endif
