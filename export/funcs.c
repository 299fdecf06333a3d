/* Frames merged into functions (see funcs.h). */
#include "export/funcs.h"

#include <stdlib.h>
#include <string.h>

#include "base/hash.h"

static int prof__fn_streq(const char *a, const char *b) {
  return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static uint64_t prof__fn_hash(const struct prof__model_frame *f) {
  uint64_t h = prof__hash_str(PROF__HASH_SEED, f->name);
  h = prof__hash_str(h, f->file);
  h = prof__hash_str(h, f->runtime);
  return prof__hash_u64(h, f->flags);
}

static int prof__fn_same(const struct prof__model_frame *a,
                         const struct prof__model_frame *b) {
  return a->flags == b->flags && prof__fn_streq(a->name, b->name) &&
         prof__fn_streq(a->file, b->file) &&
         prof__fn_streq(a->runtime, b->runtime);
}

/* Folds frame f into function fn. Addresses and modules that differ are
 * forgotten; the line becomes the lowest one sampled, which is always a
 * line of this function's own body (or, for an outer frame of an inlined
 * chain, of its call sites), so a reader still lands in the function. */
static void prof__fn_fold(struct prof__model_frame *fn,
                          const struct prof__model_frame *f) {
  if (f->line != 0 && (fn->line == 0 || f->line < fn->line))
    fn->line = f->line;
  if (fn->address != f->address)
    fn->address = 0;
  if (fn->module != f->module)
    fn->module = -1;
}

int prof__fn_map_build(const struct prof__model *m, struct prof__fn_map *map) {
  struct prof__hash_table tab = {0};
  memset(map, 0, sizeof(*map));
  map->of_frame = malloc((m->nframes + 1) * sizeof(*map->of_frame));
  map->fn = malloc((m->nframes + 1) * sizeof(*map->fn));
  int rc = map->of_frame == NULL || map->fn == NULL ? -1 : 0;
  for (size_t i = 0; rc == 0 && i < m->nframes; i++) {
    const struct prof__model_frame *f = &m->frames[i];
    uint64_t h = prof__fn_hash(f);
    struct prof__hash_iter it;
    for (prof__hash_find(&tab, h, &it); it.index != UINT32_MAX;
         prof__hash_next(&it))
      if (prof__fn_same(&map->fn[it.index], f))
        break;
    if (it.index == UINT32_MAX) {
      it.index = map->nfn;
      if (prof__hash_insert(&tab, h, it.index) != 0) {
        rc = -1;
        break;
      }
      map->fn[map->nfn++] = *f;
    } else {
      prof__fn_fold(&map->fn[it.index], f);
    }
    map->of_frame[i] = it.index;
  }
  prof__hash_free(&tab);
  if (rc != 0)
    prof__fn_map_free(map);
  return rc;
}

void prof__fn_map_free(struct prof__fn_map *map) {
  free(map->of_frame);
  free(map->fn);
  memset(map, 0, sizeof(*map));
}
