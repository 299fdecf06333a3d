/* The cgo symbolizer hook (include/libprof.h, prof_cgo_symbolizer).
 *
 * Each PC is resolved once by libprof's native symbolizer (DWARF lines,
 * inlined frames, demangling; profiler/symbolize.h) into a process-wide
 * cache that is never freed, so the strings handed to Go stay valid for
 * as long as Go may read them, whichever traceback asked. The per-call
 * state lives in `data` alone: which cached PC and which of its frames
 * comes next. Go keeps the fields between calls, except pc when more was
 * 0 (and on a new traceback they are 0), so `data` is trusted only when
 * `more` is set and it names this very pc; anything else, including a
 * printing loop that stopped with `more` set and moved on, restarts.
 *
 * Stack: resolving reads line tables with libdw, which needs ~150 KiB of
 * stack; Go calls the symbolizer on its 32 KiB signal stack when it prints
 * a crash or SIGQUIT dump from the handler. There it runs on a private
 * 1 MiB stack (one at a time; a second caller meanwhile gets cached
 * answers only). */
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>

#include "base/grow.h"
#include "base/hash.h"
#include "libprof.h"
#include "profiler/cgo.h"

#define PROF__CGO_STACK (1u << 20)
#define PROF__CGO_LOCK_TRIES 200 /* x 1 ms: then "?" rather than hang */

struct prof__cgo_sframe {
  char *func, *file;
  uint32_t line;
};

struct prof__cgo_sentry {
  uint64_t pc, entry;
  uint32_t first, n; /* span of frames */
};

struct prof__cgo_sym_cache {
  struct prof__cgo_sentry *e;
  size_t ne, cape;
  struct prof__cgo_sframe *f;
  size_t nf, capf;
  struct prof__hash_table index; /* pc -> e */
};

static struct prof__cgo_sym_cache prof__cgo_syms;
static _Atomic int prof__cgo_stack_busy;
static const char prof__cgo_unknown[] = "?";

int prof__cgo_sym_init(struct prof__cgo *c) {
  c->syms = &prof__cgo_syms;
  c->stack_len = PROF__CGO_STACK;
  c->stack = mmap(NULL, c->stack_len, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return c->stack == MAP_FAILED ? (c->stack = NULL, PROF_ENOMEM) : 0;
}

/* prof__symframe_fn: appends one frame to the cache. */
static int prof__cgo_keep(void *arg, const struct prof__symframe *f) {
  struct prof__cgo_sym_cache *s = arg;
  if (prof__grow((void **)&s->f, &s->capf, s->nf + 1, sizeof(*s->f)))
    return -1;
  struct prof__cgo_sframe *k = &s->f[s->nf];
  k->func = strdup(f->name);
  k->file = f->file ? strdup(f->file) : NULL;
  k->line = f->line;
  if (!k->func) {
    free(k->file);
    return -1;
  }
  s->nf++;
  return 0;
}

/* The cache entry of pc, resolving it on first sight; -1 on ENOMEM.
 * Under c->lock. */
static long prof__cgo_lookup(struct prof__cgo *c, uint64_t pc, int resolve) {
  struct prof__cgo_sym_cache *s = c->syms;
  uint64_t h = prof__hash_u64(0, pc), lo, hi;
  struct prof__hash_iter it;
  for (prof__hash_find(&s->index, h, &it); it.index != UINT32_MAX;
       prof__hash_next(&it))
    if (s->e[it.index].pc == pc)
      return it.index;
  if (!resolve || prof__grow((void **)&s->e, &s->cape, s->ne + 1,
                             sizeof(*s->e)))
    return -1;
  size_t first = s->nf;
  const struct prof__module *m = prof__modules_find(c->ms, pc);
  prof__natsym_resolve_in(c->ns, m, pc, 0, prof__cgo_keep, s);
  if (s->nf == first || prof__hash_insert(&s->index, h, (uint32_t)s->ne))
    return -1;
  int fde = c->prober && prof__probe_fde(c->prober, pc, &lo, &hi) == 0;
  s->e[s->ne] = (struct prof__cgo_sentry){pc, fde ? lo : 0, (uint32_t)first,
                                          (uint32_t)(s->nf - first)};
  return (long)s->ne++;
}

/* Fills a from frame k of entry i, and data/more for the next call. */
static void prof__cgo_answer(const struct prof__cgo_sym_cache *s, long i,
                             uint32_t k, struct prof_symbolizer_arg *a) {
  const struct prof__cgo_sentry *e = &s->e[i];
  const struct prof__cgo_sframe *f = &s->f[e->first + k];
  a->func = f->func;
  a->file = f->file;
  a->lineno = f->line;
  a->entry = e->entry;
  a->more = k + 1 < e->n;
  a->data = a->more ? ((uintptr_t)(i + 1) << 16 | (k + 1)) : 0;
}

static int prof__cgo_lock(struct prof__cgo *c) {
  for (int i = 0; i < PROF__CGO_LOCK_TRIES; i++) {
    if (pthread_mutex_trylock(&c->lock) == 0)
      return 0;
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  return -1;
}

/* The whole answer for one call. resolve: may run libdw (enough stack). */
static void prof__cgo_symbolize(struct prof_symbolizer_arg *a, int resolve) {
  struct prof__cgo *c = prof__cgo_state();
  long i = -1;
  uint32_t k = 0;
  if (c && prof__cgo_lock(c) == 0) {
    struct prof__cgo_sym_cache *s = c->syms;
    size_t want = (size_t)(a->data >> 16);
    if (a->more && want >= 1 && want <= s->ne && s->e[want - 1].pc == a->pc &&
        (a->data & 0xffff) < s->e[want - 1].n) {
      i = (long)want - 1; /* the next inlined frame of this pc */
      k = (uint32_t)(a->data & 0xffff);
    } else {
      i = prof__cgo_lookup(c, a->pc, resolve);
    }
    if (i >= 0)
      prof__cgo_answer(s, i, k, a);
    pthread_mutex_unlock(&c->lock);
  }
  if (i < 0) { /* Go drops a PC with neither func nor file: keep a name */
    a->func = prof__cgo_unknown;
    a->file = NULL;
    a->lineno = a->entry = a->more = a->data = 0;
  }
}

static struct prof_symbolizer_arg *prof__cgo_switched_arg;

static void prof__cgo_on_stack(void) {
  prof__cgo_symbolize(prof__cgo_switched_arg, 1);
}

/* Runs the symbolizer on the private stack: the caller is on a signal's
 * alternate stack, too small for libdw. */
static void prof__cgo_switch(struct prof__cgo *c,
                             struct prof_symbolizer_arg *a) {
  int idle = 0;
  ucontext_t back, run;
  if (!c || !c->stack ||
      !atomic_compare_exchange_strong(&prof__cgo_stack_busy, &idle, 1)) {
    prof__cgo_symbolize(a, 0); /* cached answers only */
    return;
  }
  getcontext(&run);
  run.uc_stack.ss_sp = c->stack;
  run.uc_stack.ss_size = c->stack_len;
  run.uc_link = &back;
  prof__cgo_switched_arg = a;
  makecontext(&run, prof__cgo_on_stack, 0);
  swapcontext(&back, &run);
  atomic_store(&prof__cgo_stack_busy, 0);
}

void prof_cgo_symbolizer(void *arg) {
  struct prof_symbolizer_arg *a = arg;
  if (!a)
    return;
  if (a->pc == 0) { /* end of a traceback: nothing per traceback to free */
    a->more = a->data = 0;
    return;
  }
  stack_t ss;
  if (sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK))
    prof__cgo_switch(prof__cgo_state(), a);
  else
    prof__cgo_symbolize(a, 1);
}
