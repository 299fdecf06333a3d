/* pprof writer, part 2: the string table, functions and locations (see
 * pprof.c for the conventions). Never in a signal handler. */
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "export/pprof.h"
#include "export/writers.h" /* PROF__RUNTIME_LIBPROF */

/* Reserves one more element; returns a pointer to it (uninitialized). */
void *prof__pp_push(struct prof__pp_vec *a, size_t sz) {
  if (prof__grow(&a->v, &a->cap, a->n + 1, sz))
    return NULL;
  return (char *)a->v + sz * a->n++;
}

/* ---- string table ------------------------------------------------------ */

/* The string id of s (NULL counts as ""), or -1 on ENOMEM. s must outlive
 * the pack: it points into the model or into pp->owned. */
int64_t prof__pp_str(struct prof__pp *pp, const char *s) {
  if (s == NULL)
    s = "";
  uint64_t h = prof__hash_str(PROF__HASH_SEED, s);
  struct prof__hash_iter it;
  for (prof__hash_find(&pp->str_tab, h, &it); it.index != UINT32_MAX;
       prof__hash_next(&it))
    if (strcmp(PROF__PP_AT(pp->strs, const char *, it.index), s) == 0)
      return it.index;
  size_t id = pp->strs.n;
  const char **slot = prof__pp_push(&pp->strs, sizeof(*slot));
  if (slot == NULL)
    return -1;
  if (prof__hash_insert(&pp->str_tab, h, (uint32_t)id) != 0) {
    pp->strs.n--;
    return -1;
  }
  *slot = s;
  return (int64_t)id;
}

/* Like prof__pp_str for a malloc'd string, which pp then owns. */
int64_t prof__pp_str_owned(struct prof__pp *pp, char *s) {
  char **slot = s ? prof__pp_push(&pp->owned, sizeof(*slot)) : NULL;
  if (slot == NULL) {
    free(s);
    return -1;
  }
  *slot = s;
  return prof__pp_str(pp, s);
}

/* ---- functions and locations ------------------------------------------- */

/* A function's system_name: its name, or "<runtime>:<name>" for managed
 * code, so that a script's main and C's main stay two functions and a
 * reader (read_pprof.c) gets every frame's runtime back; pprof's views
 * show `name`. */
static int64_t prof__pp_system_name(struct prof__pp *pp,
                                    const struct prof__model_frame *f,
                                    int64_t name) {
  if (f->runtime == NULL || strcmp(f->runtime, PROF__RUNTIME_NATIVE) == 0 ||
      strcmp(f->runtime, PROF__RUNTIME_LIBPROF) == 0)
    return name;
  char *s = NULL;
  if (asprintf(&s, "%s:%s", f->runtime, f->name) < 0)
    s = NULL;
  return prof__pp_str_owned(pp, s);
}

static int64_t prof__pp_function(struct prof__pp *pp,
                                 const struct prof__model_frame *f) {
  int64_t name = prof__pp_str(pp, f->name);
  int64_t file = prof__pp_str(pp, f->file);
  int64_t sys = name < 0 ? -1 : prof__pp_system_name(pp, f, name);
  if (sys < 0 || file < 0)
    return -1;
  uint64_t h = prof__hash_u64(prof__hash_u64(PROF__HASH_SEED, sys), file);
  struct prof__hash_iter it;
  for (prof__hash_find(&pp->func_tab, h, &it); it.index != UINT32_MAX;
       prof__hash_next(&it)) {
    prof__pb_function *fn = PROF__PP_AT(pp->funcs, prof__pb_function *,
                                        it.index);
    if (fn->system_name == sys && fn->filename == file)
      return (int64_t)fn->id;
  }
  prof__pb_function *fn = malloc(sizeof(*fn));
  prof__pb_function **slot = fn ? prof__pp_push(&pp->funcs, sizeof(*slot))
                                : NULL;
  if (slot == NULL) {
    free(fn);
    return -1;
  }
  *slot = fn;
  perftools__profiles__function__init(fn);
  fn->id = pp->funcs.n;
  fn->name = name;
  fn->system_name = sys;
  fn->filename = file;
  if (prof__hash_insert(&pp->func_tab, h, (uint32_t)(pp->funcs.n - 1)))
    return -1; /* fn stays in funcs and is freed with it */
  return (int64_t)fn->id;
}

/* Allocates a Location with n lines for frames[0..n) (root first). */
static prof__pb_location *prof__pp_new_location(struct prof__pp *pp,
                                                const uint32_t *frames,
                                                uint32_t n) {
  const struct prof__model *m = pp->m;
  prof__pb_location *loc = calloc(1, sizeof(*loc) + n * sizeof(void *) +
                                         n * sizeof(prof__pb_line));
  if (loc == NULL)
    return NULL;
  perftools__profiles__location__init(loc);
  loc->line = (prof__pb_line **)(loc + 1);
  prof__pb_line *lines = (prof__pb_line *)(loc->line + n);
  loc->n_line = n;
  for (uint32_t k = 0; k < n; k++) {
    /* Innermost first: the model's last frame of the group is line[0]. */
    const struct prof__model_frame *f = &m->frames[frames[n - 1 - k]];
    perftools__profiles__line__init(&lines[k]);
    int64_t fid = prof__pp_function(pp, f);
    if (fid < 0) {
      free(loc);
      return NULL;
    }
    lines[k].function_id = (uint64_t)fid;
    lines[k].line = f->line;
    loc->line[k] = &lines[k];
  }
  const struct prof__model_frame *outer = &m->frames[frames[0]];
  loc->address = outer->address ? outer->address
                                : m->frames[frames[n - 1]].address;
  if (outer->module >= 0 && (size_t)outer->module < m->nmodules)
    loc->mapping_id = (uint64_t)outer->module + 1;
  return loc;
}

static int prof__pp_loc_eq(const struct prof__pp *pp, size_t li,
                           const uint32_t *frames, uint32_t n) {
  const prof__pb_location *loc = PROF__PP_AT(pp->locs, prof__pb_location *,
                                             li);
  size_t off = PROF__PP_AT(pp->loc_off, size_t, li);
  return loc->n_line == n &&
         memcmp(&PROF__PP_AT(pp->loc_frames, uint32_t, off), frames,
                n * sizeof(*frames)) == 0;
}

/* Records frames[0..n) as location li's key. */
static int prof__pp_loc_key(struct prof__pp *pp, const uint32_t *frames,
                            uint32_t n) {
  size_t *off = prof__pp_push(&pp->loc_off, sizeof(*off));
  if (off == NULL)
    return -1;
  *off = pp->loc_frames.n;
  for (uint32_t k = 0; k < n; k++) {
    uint32_t *f = prof__pp_push(&pp->loc_frames, sizeof(*f));
    if (f == NULL)
      return -1;
    *f = frames[k];
  }
  return 0;
}

/* The id of the location for the frame group frames[0..n). */
static int64_t prof__pp_location(struct prof__pp *pp, const uint32_t *frames,
                                 uint32_t n) {
  uint64_t h = prof__hash_bytes(PROF__HASH_SEED, frames, n * sizeof(*frames));
  struct prof__hash_iter it;
  for (prof__hash_find(&pp->loc_tab, h, &it); it.index != UINT32_MAX;
       prof__hash_next(&it))
    if (prof__pp_loc_eq(pp, it.index, frames, n))
      return (int64_t)it.index + 1;
  size_t li = pp->locs.n;
  prof__pb_location *loc = prof__pp_new_location(pp, frames, n);
  prof__pb_location **slot =
      loc ? prof__pp_push(&pp->locs, sizeof(*slot)) : NULL;
  if (slot == NULL) {
    free(loc);
    return -1;
  }
  *slot = loc;
  loc->id = li + 1;
  if (prof__pp_loc_key(pp, frames, n) != 0 ||
      prof__hash_insert(&pp->loc_tab, h, (uint32_t)li) != 0)
    return -1;
  return (int64_t)loc->id;
}

/* prof__pp_location with a shortcut for the common one-frame group (a
 * frame with nothing inlined into it): a direct per-frame cache, which
 * saves the hash probe and its cache misses on every frame of every
 * stack. */
static int64_t prof__pp_group(struct prof__pp *pp, const uint32_t *frames,
                              uint32_t n) {
  if (n != 1)
    return prof__pp_location(pp, frames, n);
  if (pp->frame_loc[frames[0]] == 0) {
    int64_t id = prof__pp_location(pp, frames, 1);
    if (id < 0)
      return id;
    pp->frame_loc[frames[0]] = (uint64_t)id;
  }
  return (int64_t)pp->frame_loc[frames[0]];
}

/* Fills pp->ids with the location ids of stack st, leaf first; returns
 * how many, or -1 on ENOMEM. pp->ids holds the deepest stack. */
int64_t prof__pp_stack(struct prof__pp *pp,
                              const struct prof__model_stack *st) {
  const struct prof__model_frame *fr = pp->m->frames;
  uint32_t end = st->nframes;
  int64_t n = 0;
  while (end > 0) {
    uint32_t start = end - 1; /* back up over the inlined chain */
    while (start > 0 && (fr[st->frames[start]].flags & PROF__FRAME_INLINED))
      start--;
    int64_t id = prof__pp_group(pp, st->frames + start, end - start);
    if (id < 0)
      return -1;
    pp->ids[n++] = (uint64_t)id;
    end = start;
  }
  return n;
}
