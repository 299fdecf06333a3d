/* Collapsed-stack writer ("folded" stacks of flamegraph.pl and inferno):
 * one line per distinct stack, `thread;root;...;leaf <number>`.
 *
 * - The first frame of every line is the thread, "<name> (<tid>)" as in
 *   speedscope, like the process root that perf's stackcollapse adds. It
 *   has no self weight, so per-function self totals match the other formats.
 * - Frame suffixes follow flamegraph.pl's annotations, which its
 *   --color=java palette colors and its labels hide: `_[i]` inlined (aqua),
 *   `_[j]` managed, any registered runtime (green), `_[k]` kernel (orange).
 *   Native and synthetic frames have none. An inlined frame is `_[i]`
 *   whatever its runtime.
 * - `;` inside a name becomes `:` and a line break a space, since both
 *   would change the stack.
 * - The number is an integer: the sample count, or the nanoseconds with
 *   opts->collapsed_ns (LIBPROF_COLLAPSED_WEIGHT=ns). Lines whose number
 *   would be 0 are left out. No comment line.
 * Stacks whose lines come out equal (frames that differ only in file, line
 * or address) are merged, in first-seen order. Never in a signal handler. */
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "base/hash.h"
#include "export/out.h"
#include "export/writers.h"
#include "libprof.h"

struct prof__col_line {
  size_t off;   /* first token id in pool */
  uint32_t len;
  uint64_t value;
};

struct prof__col {
  char **tok;            /* token strings by id, owned          */
  size_t ntok, cap_tok;
  struct prof__hash_table tok_tab;
  uint32_t *frame_tok;   /* model frame index -> token id       */
  uint32_t *pool;        /* token ids of the current thread's lines */
  size_t npool, cap_pool;
  struct prof__col_line *lines;
  size_t nlines, cap_lines;
  struct prof__hash_table line_tab;
};

static const char *prof__col_suffix(const struct prof__model_frame *f) {
  if (f->flags & PROF__FRAME_INLINED)
    return "_[i]";
  if (f->flags & PROF__FRAME_SYNTHETIC ||
      strcmp(f->runtime, PROF__RUNTIME_NATIVE) == 0)
    return "";
  if (strcmp(f->runtime, "kernel") == 0)
    return "_[k]";
  return "_[j]";
}

/* A malloc'd token: name made safe for the format, plus the suffix. */
static char *prof__col_token(const char *name, const char *suffix) {
  if (*name == 0)
    name = "[unknown]";
  size_t n = strlen(name), k = strlen(suffix);
  char *t = malloc(n + k + 1);
  if (t == NULL)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    t[i] = c == ';' ? ':' : (c == '\n' || c == '\r') ? ' ' : c;
  }
  memcpy(t + n, suffix, k + 1);
  return t;
}

/* Interns a token (taking ownership of t); returns its id or UINT32_MAX. */
static uint32_t prof__col_intern(struct prof__col *c, char *t) {
  uint64_t h = prof__hash_str(PROF__HASH_SEED, t);
  struct prof__hash_iter it;
  for (prof__hash_find(&c->tok_tab, h, &it); it.index != UINT32_MAX;
       prof__hash_next(&it))
    if (strcmp(c->tok[it.index], t) == 0) {
      free(t);
      return it.index;
    }
  if (prof__grow((void **)&c->tok, &c->cap_tok, c->ntok + 1,
                     sizeof(*c->tok)) ||
      prof__hash_insert(&c->tok_tab, h, (uint32_t)c->ntok)) {
    free(t);
    return UINT32_MAX;
  }
  c->tok[c->ntok] = t;
  return (uint32_t)c->ntok++;
}

static int prof__col_frames(struct prof__col *c, const struct prof__model *m) {
  c->frame_tok = malloc((m->nframes ? m->nframes : 1) * sizeof(uint32_t));
  if (c->frame_tok == NULL)
    return PROF_ENOMEM;
  for (size_t i = 0; i < m->nframes; i++) {
    const struct prof__model_frame *f = &m->frames[i];
    char *t = prof__col_token(f->name, prof__col_suffix(f));
    c->frame_tok[i] = t ? prof__col_intern(c, t) : UINT32_MAX;
    if (c->frame_tok[i] == UINT32_MAX)
      return PROF_ENOMEM;
  }
  return 0;
}

static uint64_t prof__col_hash(const uint32_t *ids, uint32_t n) {
  return prof__hash_bytes(PROF__HASH_SEED, ids, (size_t)n * sizeof(*ids));
}

/* Adds value to the line made of the tokens pool[off..off+n) that the
 * caller just appended; drops them again when the line exists. */
static int prof__col_add_line(struct prof__col *c, size_t off, uint32_t n,
                              uint64_t value) {
  const uint32_t *ids = c->pool + off;
  uint64_t h = prof__col_hash(ids, n);
  struct prof__hash_iter it;
  for (prof__hash_find(&c->line_tab, h, &it); it.index != UINT32_MAX;
       prof__hash_next(&it)) {
    struct prof__col_line *l = &c->lines[it.index];
    if (l->len == n && memcmp(c->pool + l->off, ids, n * sizeof(*ids)) == 0) {
      l->value += value;
      c->npool = off;
      return 0;
    }
  }
  if (prof__grow((void **)&c->lines, &c->cap_lines, c->nlines + 1,
                     sizeof(*c->lines)) ||
      prof__hash_insert(&c->line_tab, h, (uint32_t)c->nlines))
    return PROF_ENOMEM;
  c->lines[c->nlines++] = (struct prof__col_line){off, n, value};
  return 0;
}

static int prof__col_thread_lines(struct prof__col *c,
                                  const struct prof__model *m,
                                  const struct prof__model_thread *t,
                                  int ns) {
  c->npool = c->nlines = 0;
  prof__hash_free(&c->line_tab);
  for (size_t i = 0; i < t->nsamples; i++) {
    const struct prof__model_sample *s = &t->samples[i];
    const struct prof__model_stack *st = &m->stacks[s->stack];
    uint64_t v = ns ? s->weight_ns : s->count;
    if (v == 0)
      continue;
    /* + 1: the pool exists even for an empty stack (read from a file),
     * whose line is hashed as zero bytes at c->pool. */
    if (prof__grow((void **)&c->pool, &c->cap_pool,
                       c->npool + st->nframes + 1, sizeof(*c->pool)))
      return PROF_ENOMEM;
    size_t off = c->npool;
    for (uint32_t k = 0; k < st->nframes; k++)
      c->pool[c->npool++] = c->frame_tok[st->frames[k]];
    if (prof__col_add_line(c, off, st->nframes, v) != 0)
      return PROF_ENOMEM;
  }
  return 0;
}

static int prof__col_thread(struct prof__col *c, struct prof__out *o,
                            const struct prof__model *m,
                            const struct prof__model_thread *t, int ns) {
  char *label = prof__thread_label(t);
  char *root = label ? prof__col_token(label, "") : NULL;
  int rc = root == NULL ? PROF_ENOMEM : prof__col_thread_lines(c, m, t, ns);
  for (size_t i = 0; rc == 0 && i < c->nlines; i++) {
    const struct prof__col_line *l = &c->lines[i];
    prof__out_str(o, root);
    for (uint32_t k = 0; k < l->len; k++) {
      prof__out_ch(o, ';');
      prof__out_str(o, c->tok[c->pool[l->off + k]]);
    }
    prof__out_ch(o, ' ');
    prof__out_u64(o, l->value);
    prof__out_ch(o, '\n');
  }
  free(label);
  free(root);
  return rc;
}

static void prof__col_free(struct prof__col *c) {
  for (size_t i = 0; i < c->ntok; i++)
    free(c->tok[i]);
  free(c->tok);
  free(c->frame_tok);
  free(c->pool);
  free(c->lines);
  prof__hash_free(&c->tok_tab);
  prof__hash_free(&c->line_tab);
}

int prof__write_collapsed(const struct prof__model *m,
                          const struct prof__export_opts *opts, FILE *fp) {
  struct prof__col c = {0};
  struct prof__out *o = malloc(sizeof(*o));
  int rc = o == NULL ? PROF_ENOMEM : prof__col_frames(&c, m);
  if (rc == 0)
    prof__out_init(o, fp);
  for (size_t i = 0; rc == 0 && i < m->nthreads; i++)
    rc = prof__col_thread(&c, o, m, &m->threads[i], opts->collapsed_ns);
  if (rc == 0)
    rc = prof__out_flush(o);
  free(o);
  prof__col_free(&c);
  return rc;
}
