/* The in-memory profile model (see model.h).
 *
 * Layout of the builder state: every string and every stack's frame array
 * lives in one bump arena that is only ever freed whole, so interning a
 * frame or a stack costs one hash probe and, when new, one bump allocation.
 * Frames, stacks and per-thread samples are deduplicated through open
 * addressing tables of 32-bit indices (see hash.h), which keep part of
 * each hash so a table grows without rehashing content.
 *
 * Every failure path leaves the model as it was before the call, so a
 * caller that gets -1 can still free it (or even keep using it).
 * Not thread-safe; never used in a signal handler. */
#include "export/model.h"

#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "base/hash.h"

#define PROF__ARENA_CHUNK (64u * 1024u)

struct prof__arena_chunk {
  struct prof__arena_chunk *next;
  size_t used;
  size_t cap;
  /* data follows, 16-byte aligned by the header size */
};

/* Per-thread builder state: its stack -> sample index. */
struct prof__thread_priv {
  struct prof__hash_table by_stack;
  size_t cap_samples;
};

struct prof__model_priv {
  struct prof__arena_chunk *arena;
  size_t cap_modules, cap_frames, cap_stacks, cap_threads;
  struct prof__hash_table frames_tab;
  struct prof__hash_table stacks_tab;
  struct prof__thread_priv *tpriv; /* parallel to m->threads */
  size_t last_thread;              /* lookup cache for prof__model_thread */
};

/* ---- arena --------------------------------------------------------------- */

static void *prof__arena_alloc(struct prof__model_priv *p, size_t n) {
  struct prof__arena_chunk *c = p->arena;
  size_t hdr = (sizeof(*c) + 15u) & ~(size_t)15u;

  n = (n + 7u) & ~(size_t)7u;
  if (c == NULL || c->cap - c->used < n) {
    size_t cap = n > PROF__ARENA_CHUNK ? n : PROF__ARENA_CHUNK;
    struct prof__arena_chunk *nc = malloc(hdr + cap);
    if (nc == NULL)
      return NULL;
    nc->used = 0;
    nc->cap = cap;
    /* A chunk for one big request goes behind the current one, so the
     * current chunk's free tail stays usable for later small requests. */
    if (c != NULL && cap > PROF__ARENA_CHUNK) {
      nc->next = c->next;
      c->next = nc;
    } else {
      nc->next = c;
      p->arena = nc;
    }
    c = nc;
  }
  void *r = (char *)c + hdr + c->used;
  c->used += n;
  return r;
}

static void prof__arena_free(struct prof__model_priv *p) {
  struct prof__arena_chunk *c = p->arena;
  while (c != NULL) {
    struct prof__arena_chunk *next = c->next;
    free(c);
    c = next;
  }
  p->arena = NULL;
}

/* ---- lifetime -------------------------------------------------------------- */

struct prof__model *prof__model_new(void) {
  struct prof__model *m = calloc(1, sizeof(*m));
  struct prof__model_priv *p = calloc(1, sizeof(*p));
  if (m == NULL || p == NULL) {
    free(m);
    free(p);
    return NULL;
  }
  m->priv_ = p;
  return m;
}

void prof__model_free(struct prof__model *m) {
  if (m == NULL)
    return;
  struct prof__model_priv *p = m->priv_;
  for (size_t i = 0; i < m->nthreads; i++)
    free(m->threads[i].samples);
  if (p != NULL) {
    for (size_t i = 0; i < m->nthreads; i++)
      prof__hash_free(&p->tpriv[i].by_stack);
    prof__hash_free(&p->frames_tab);
    prof__hash_free(&p->stacks_tab);
    free(p->tpriv);
    prof__arena_free(p);
    free(p);
  }
  free(m->modules);
  free(m->frames);
  free(m->stacks);
  free(m->threads);
  free(m);
}

/* ---- strings --------------------------------------------------------------- */

const char *prof__model_strdup(struct prof__model *m, const char *s) {
  if (s == NULL)
    return NULL;
  size_t n = strlen(s) + 1;
  char *d = prof__arena_alloc(m->priv_, n);
  if (d != NULL)
    memcpy(d, s, n);
  return d;
}

int prof__model_set_str(struct prof__model *m, const char **field,
                        const char *s) {
  const char *d = prof__model_strdup(m, s);
  if (d == NULL && s != NULL)
    return -1;
  *field = d;
  return 0;
}

/* ---- modules ----------------------------------------------------------------- */

int32_t prof__model_add_module(struct prof__model *m,
                               const struct prof__model_module *mod) {
  struct prof__model_priv *p = m->priv_;
  struct prof__model_module c = *mod;

  if (m->nmodules >= INT32_MAX)
    return -1;
  c.path = prof__model_strdup(m, mod->path);
  c.build_id = prof__model_strdup(m, mod->build_id);
  if ((mod->path && !c.path) || (mod->build_id && !c.build_id))
    return -1;
  if (prof__grow((void **)&m->modules, &p->cap_modules, m->nmodules + 1,
                 sizeof(*m->modules)))
    return -1;
  m->modules[m->nmodules] = c;
  return (int32_t)m->nmodules++;
}

/* ---- frames ------------------------------------------------------------------ */

static int prof__streq(const char *a, const char *b) {
  if (a == NULL || b == NULL)
    return a == b;
  return strcmp(a, b) == 0;
}

static uint64_t prof__frame_hash(const struct prof__model_frame *f) {
  uint64_t h = prof__hash_str(PROF__HASH_SEED, f->name);
  h = prof__hash_str(h, f->file);
  h = prof__hash_str(h, f->runtime);
  h = prof__hash_u64(h, ((uint64_t)f->line << 32) | f->flags);
  h = prof__hash_u64(h, (uint64_t)(uint32_t)f->module);
  return prof__hash_u64(h, f->address);
}

static int prof__frame_eq(const struct prof__model_frame *a,
                          const struct prof__model_frame *b) {
  return a->line == b->line && a->flags == b->flags &&
         a->module == b->module && a->address == b->address &&
         prof__streq(a->name, b->name) && prof__streq(a->file, b->file) &&
         prof__streq(a->runtime, b->runtime);
}

/* Copies f's strings into the arena. name and runtime never stay NULL:
 * the model promises a name, and a frame without a runtime is native. */
static int prof__frame_copy(struct prof__model *m,
                            const struct prof__model_frame *f,
                            struct prof__model_frame *out) {
  *out = *f;
  out->name = prof__model_strdup(m, f->name ? f->name : "");
  out->file = prof__model_strdup(m, f->file);
  out->runtime =
      prof__model_strdup(m, f->runtime ? f->runtime : PROF__RUNTIME_NATIVE);
  if (out->name == NULL || out->runtime == NULL || (f->file && !out->file))
    return -1;
  return 0;
}

int64_t prof__model_intern_frame(struct prof__model *m,
                                 const struct prof__model_frame *f) {
  struct prof__model_priv *p = m->priv_;
  struct prof__model_frame key = *f;
  if (key.name == NULL)
    key.name = "";
  if (key.runtime == NULL)
    key.runtime = PROF__RUNTIME_NATIVE;

  uint64_t h = prof__frame_hash(&key);
  struct prof__hash_iter it;
  for (prof__hash_find(&p->frames_tab, h, &it); it.index != UINT32_MAX;
       prof__hash_next(&it))
    if (prof__frame_eq(&m->frames[it.index], &key))
      return it.index;

  size_t n = m->nframes;
  struct prof__model_frame copy;
  if (n >= UINT32_MAX - 1 || prof__frame_copy(m, &key, &copy) ||
      prof__grow((void **)&m->frames, &p->cap_frames, n + 1,
                 sizeof(*m->frames)) ||
      prof__hash_insert(&p->frames_tab, h, (uint32_t)n))
    return -1;
  m->frames[n] = copy;
  m->nframes = n + 1;
  return (int64_t)n;
}

/* ---- stacks ------------------------------------------------------------------ */

static uint64_t prof__stack_hash(const uint32_t *frames, uint32_t n,
                                 uint32_t flags) {
  uint64_t h = prof__hash_u64(PROF__HASH_SEED, ((uint64_t)n << 32) | flags);
  return prof__hash_bytes(h, frames, (size_t)n * sizeof(*frames));
}

static int prof__stack_eq(const struct prof__model_stack *s,
                          const uint32_t *frames, uint32_t n, uint32_t flags) {
  return s->nframes == n && s->flags == flags &&
         (n == 0 || memcmp(s->frames, frames, n * sizeof(*frames)) == 0);
}

int64_t prof__model_intern_stack(struct prof__model *m, const uint32_t *frames,
                                 uint32_t nframes, uint32_t flags) {
  struct prof__model_priv *p = m->priv_;
  uint64_t h = prof__stack_hash(frames, nframes, flags);
  struct prof__hash_iter it;

  for (prof__hash_find(&p->stacks_tab, h, &it); it.index != UINT32_MAX;
       prof__hash_next(&it))
    if (prof__stack_eq(&m->stacks[it.index], frames, nframes, flags))
      return it.index;

  size_t n = m->nstacks;
  size_t bytes = (size_t)nframes * sizeof(*frames);
  uint32_t *copy = prof__arena_alloc(p, bytes ? bytes : 1);
  if (n >= UINT32_MAX - 1 || copy == NULL ||
      prof__grow((void **)&m->stacks, &p->cap_stacks, n + 1,
                 sizeof(*m->stacks)) ||
      prof__hash_insert(&p->stacks_tab, h, (uint32_t)n))
    return -1;
  if (bytes)
    memcpy(copy, frames, bytes);
  m->stacks[n].nframes = nframes;
  m->stacks[n].flags = flags;
  m->stacks[n].frames = copy;
  m->nstacks = n + 1;
  return (int64_t)n;
}

/* ---- threads and samples ----------------------------------------------------- */

static int64_t prof__thread_lookup(const struct prof__model *m, int64_t tid) {
  struct prof__model_priv *p = m->priv_;

  /* Samples usually arrive in runs of the same thread. */
  if (p->last_thread < m->nthreads && m->threads[p->last_thread].tid == tid)
    return (int64_t)p->last_thread;
  for (size_t i = 0; i < m->nthreads; i++)
    if (m->threads[i].tid == tid) {
      p->last_thread = i;
      return (int64_t)i;
    }
  return -1;
}

int64_t prof__model_thread(struct prof__model *m, int64_t tid,
                           const char *name) {
  struct prof__model_priv *p = m->priv_;
  int64_t i = prof__thread_lookup(m, tid);
  const char *copy = NULL;

  if (name != NULL && (copy = prof__model_strdup(m, name)) == NULL)
    return -1;
  if (i >= 0) {
    if (copy != NULL)
      m->threads[i].name = copy;
    return i;
  }
  size_t n = m->nthreads;
  size_t cap = p->cap_threads;
  if (copy == NULL && (copy = prof__model_strdup(m, "")) == NULL)
    return -1;
  if (prof__grow((void **)&m->threads, &cap, n + 1, sizeof(*m->threads)))
    return -1;
  cap = p->cap_threads; /* tpriv follows threads' capacity */
  if (prof__grow((void **)&p->tpriv, &cap, n + 1, sizeof(*p->tpriv)))
    return -1;
  p->cap_threads = cap;
  memset(&m->threads[n], 0, sizeof(m->threads[n]));
  memset(&p->tpriv[n], 0, sizeof(p->tpriv[n]));
  m->threads[n].tid = tid;
  m->threads[n].name = copy;
  m->nthreads = n + 1;
  p->last_thread = n;
  return (int64_t)n;
}

int prof__model_add_sample(struct prof__model *m, size_t thread,
                           uint32_t stack, uint64_t count,
                           uint64_t weight_ns) {
  struct prof__model_priv *p = m->priv_;
  if (thread >= m->nthreads || stack >= m->nstacks)
    return -1;
  struct prof__model_thread *t = &m->threads[thread];
  struct prof__thread_priv *tp = &p->tpriv[thread];
  uint64_t h = prof__hash_u64(PROF__HASH_SEED, stack);
  struct prof__hash_iter it;

  for (prof__hash_find(&tp->by_stack, h, &it); it.index != UINT32_MAX;
       prof__hash_next(&it))
    if (t->samples[it.index].stack == stack) {
      t->samples[it.index].count += count;
      t->samples[it.index].weight_ns += weight_ns;
      return 0;
    }
  size_t n = t->nsamples;
  if (n >= UINT32_MAX - 1 ||
      prof__grow((void **)&t->samples, &tp->cap_samples, n + 1,
                 sizeof(*t->samples)) ||
      prof__hash_insert(&tp->by_stack, h, (uint32_t)n))
    return -1;
  t->samples[n].stack = stack;
  t->samples[n].count = count;
  t->samples[n].weight_ns = weight_ns;
  t->nsamples = n + 1;
  return 0;
}
