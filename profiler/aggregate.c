#include "profiler/aggregate.h"

#include "base/grow.h"
#include "base/hash.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profiler/thread_names.h"

void prof__agg_init(struct prof__agg *a) { memset(a, 0, sizeof(*a)); }

void prof__agg_destroy(struct prof__agg *a) {
  free(a->entries);
  prof__hash_free(&a->index);
  free(a->arena);
  free(a->threads);
  memset(a, 0, sizeof(*a));
}

static uint64_t prof__stack_hash(int32_t tid, const struct prof__rawframe *f,
                                 uint32_t n) {
  uint64_t h = prof__hash_u64(0, (uint64_t)(uint32_t)tid);
  return prof__hash_bytes(h, f, n * sizeof(*f));
}

static int prof__same_stack(const struct prof__agg *a,
                            const struct prof__agg_entry *e, int32_t tid,
                            const struct prof__rawframe *f, uint32_t n) {
  return e->tid == tid && e->nframes == n &&
         memcmp(a->arena + e->off, f, n * sizeof(*f)) == 0;
}

int prof__agg_add(struct prof__agg *a, int32_t tid,
                  const struct prof__rawframe *f, uint32_t n,
                  uint64_t weight_ns) {
  uint64_t h = prof__stack_hash(tid, f, n);
  struct prof__hash_iter it;
  for (prof__hash_find(&a->index, h, &it); it.index != UINT32_MAX;
       prof__hash_next(&it)) {
    struct prof__agg_entry *e = &a->entries[it.index];
    if (prof__same_stack(a, e, tid, f, n)) {
      e->count++;
      e->weight_ns += weight_ns;
      return 0;
    }
  }
  if (a->nentries >= UINT32_MAX - 1 ||
      prof__grow((void **)&a->entries, &a->capentries, a->nentries + 1,
                 sizeof(*a->entries)) ||
      prof__grow((void **)&a->arena, &a->caparena, a->narena + n,
                 sizeof(*a->arena)) ||
      prof__hash_insert(&a->index, h, (uint32_t)a->nentries) != 0)
    return -1;
  memcpy(a->arena + a->narena, f, n * sizeof(*f));
  a->entries[a->nentries++] =
      (struct prof__agg_entry){tid, n, a->narena, 1, weight_ns};
  a->narena += n;
  return 0;
}

/* 0 if the thread is gone and its name was not recorded at its exit
 * (the name then stays as last read). */
static int prof__read_comm(int32_t tid, char *name, size_t len) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return prof__thread_names_get(tid, name, len);
  ssize_t n = read(fd, name, len - 1);
  close(fd);
  if (n <= 0)
    return 0;
  while (n > 0 && (name[n - 1] == '\n' || name[n - 1] == '\0'))
    n--;
  name[n] = '\0';
  return 1;
}

void prof__agg_thread_seen(struct prof__agg *a, int32_t tid) {
  for (size_t i = a->nthreads; i-- > 0;)
    if (a->threads[i].tid == tid)
      return;
  if (prof__grow((void **)&a->threads, &a->capthreads, a->nthreads + 1,
                 sizeof(*a->threads)))
    return;
  struct prof__agg_thread *t = &a->threads[a->nthreads++];
  t->tid = tid;
  snprintf(t->name, sizeof(t->name), "thread-%d", tid);
  prof__read_comm(tid, t->name, sizeof(t->name));
}

void prof__agg_thread_names(struct prof__agg *a) {
  for (size_t i = 0; i < a->nthreads; i++)
    prof__read_comm(a->threads[i].tid, a->threads[i].name,
                    sizeof(a->threads[i].name));
}
