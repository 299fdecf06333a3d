#include "profiler/collector.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "export/export.h"
#include "profiler/aggregate.h"
#include "profiler/build.h"
#include "profiler/python.h"
#include "sigpath/python.h"
#include "sigpath/stats.h"
#include "profiler/symbolize.h"
#include "sigpath/thread.h"
#include "profiler/thread_names.h"
#include "unwind/unwind.h"

#define PROF__NATIVE_MAX 2048

struct prof__collector {
  struct prof__session *s;
  pthread_t thread;
  _Atomic int stopping;
  _Atomic uint64_t sync_req, sync_done; /* prof__collector_sync tickets */
  struct prof__modules *ms;
  struct prof__unwinder *unw;
  struct prof__agg agg;
  uint64_t kept, weight_ns;
  int native_max;
  uint64_t pcs[PROF__NATIVE_MAX], sps[PROF__NATIVE_MAX];
  struct prof__rawframe raw[4096 + 1];
  int result;
};

static uint32_t prof__module_of(struct prof__collector *c,
                                const struct prof__rawframe *r) {
  /* A return address may sit just past its function (a call as the last
   * instruction), so the call instruction decides the module. */
  uint64_t at = r->kind == PROF__RAW_CALL ? r->pc - 1 : r->pc;
  const struct prof__module *m = prof__modules_find(c->ms, at);
  return m ? m->id : PROF__NO_MODULE;
}

static int prof__sample_cut(const struct prof__sample *smp) {
  return (smp->flags & (PROF__SAMPLE_SLICE_CUT | PROF__SAMPLE_HOOK_CUT |
                        PROF__SAMPLE_MPCS_CUT | PROF__SAMPLE_BAD_RUNTIME |
                        PROF__SAMPLE_RUNTIME_TORN)) != 0;
}

static void prof__collect_one(struct prof__collector *c,
                              const struct prof__sample *smp) {
  enum prof__unwind_status st;
  int cut, max = c->s->cfg.max_depth;
  int n = prof__unwind(c->unw, smp, c->pcs, c->sps, c->native_max, &st);
  if (st == PROF__UNWIND_FAILED)
    PROF__COUNT(unwind_failed);
  int py = atomic_load_explicit(&prof__py.on, memory_order_acquire);
  int room = py && 2 * max < 4096 ? 2 * max : py ? 4096 : max; /* 2 PCs a frame */
  int m = prof__merge(smp, c->pcs, c->sps, n, c->s->cfg.keep_internals,
                      c->raw, room, &cut);
  if (py)
    m = prof__python_resolve(c->raw, m, c->s->cfg.keep_internals);
  if (m > max)
    m = max, cut = 1;
  for (int i = 0; i < m; i++)
    if (c->raw[i].kind != PROF__RAW_MANAGED)
      c->raw[i].id = prof__module_of(c, &c->raw[i]);
  if (cut || st != PROF__UNWIND_COMPLETE || prof__sample_cut(smp)) {
    if (st != PROF__UNWIND_FAILED)
      PROF__COUNT(truncated);
    c->raw[m++] = (struct prof__rawframe){0, 0, PROF__RAW_TRUNCATED};
  }
  prof__agg_thread_seen(&c->agg, smp->tid);
  if (prof__agg_add(&c->agg, smp->tid, c->raw, (uint32_t)m,
                    smp->weight_ns) == 0) {
    c->kept++;
    c->weight_ns += smp->weight_ns;
  }
}

/* The link map is re-read (a counter check when nothing changed) before
 * each batch: an object loaded where a closed one was must not be read
 * through the old one's record. Samples taken before a dlclose were
 * drained by the dlclose hook while the object was still loaded. */
static void prof__drain(struct prof__collector *c) {
  struct prof__ring *r = &c->s->sampler.ring;
  const struct prof__sample *smp;
  if (prof__ring_peek(r))
    prof__modules_refresh(c->ms);
  while ((smp = prof__ring_peek(r)) != NULL) {
    prof__collect_one(c, smp);
    prof__ring_release(r);
  }
}

static void prof__fill_meta(struct prof__collector *c,
                            struct prof__build_meta *m) {
  struct prof__session *s = c->s;
  memset(m, 0, sizeof(*m));
  m->program = prof__modules_count(c->ms)
                   ? prof__modules_get(c->ms, 0)->path : NULL;
  m->pid = s->sampler.pid;
  m->start_unix_ns = s->start_unix_ns;
  m->duration_ns = s->stop_mono_ns - s->start_mono_ns;
  m->hz = (uint32_t)s->cfg.hz;
  m->mode = prof__mode_names[s->cfg.mode];
  m->weight_kind = s->sampler.wall ? "wall" : "cpu";
  m->counters.samples = atomic_load(&prof__stats.taken);
  m->counters.dropped = atomic_load(&s->sampler.ring.dropped);
  m->counters.truncated = atomic_load(&prof__stats.truncated);
  m->counters.unwind_failed = atomic_load(&prof__stats.unwind_failed);
  m->counters.misuse =
      atomic_load(&prof__stats.unmatched) + atomic_load(&prof__stats.overflow) +
      atomic_load(&prof__stats.mismatched) +
      atomic_load(&prof__stats.bad_runtime);
}

static int prof__write_all(struct prof__collector *c,
                           const struct prof__model *m) {
  const struct prof__config *cfg = &c->s->cfg;
  struct prof__export_opts eo = {cfg->collapsed_ns};
  char path[4200];
  int first_err = 0;
  for (unsigned f = 1; f <= PROF__FMT_PPROF; f <<= 1) {
    if (!(cfg->formats & f))
      continue;
    int r = prof__format_path(cfg->out, cfg->formats, (enum prof__format)f,
                              path, sizeof(path));
    if (r == 0)
      r = prof__export_file(m, (enum prof__format)f, &eo, path);
    if (r && !first_err)
      first_err = r;
  }
  return first_err;
}

static int prof__finish_output(struct prof__collector *c) {
  struct prof__build_meta meta;
  struct prof__model *m = NULL;
  prof__agg_thread_names(&c->agg);
  prof__fill_meta(c, &meta);
  struct prof__natsym *ns = prof__natsym_new(c->ms);
  int r = ns ? prof__build_model(&c->agg, c->ms, ns, &meta, &m) : PROF_ENOMEM;
  if (r == 0)
    r = prof__write_all(c, m);
  prof__model_free(m);
  prof__natsym_free(ns);
  return r;
}

static void *prof__collector_main(void *arg) {
  struct prof__collector *c = arg;
  for (;;) {
    int stopping = atomic_load(&c->stopping);
    uint64_t req = atomic_load(&c->sync_req);
    prof__drain(c);
    if (req != atomic_load(&c->sync_done)) {
      atomic_store(&c->sync_done, req);
      prof__ring_kick(&c->s->sampler.ring); /* wakes the waiter too */
    }
    if (stopping)
      break;
    prof__ring_wait(&c->s->sampler.ring, 20 * 1000 * 1000);
  }
  c->result = prof__finish_output(c);
  return NULL;
}

int prof__collector_start(struct prof__session *s) {
  prof__thread_note_stack(); /* the thread starting the session */
  prof__thread_names_reset();
  struct prof__collector *c = calloc(1, sizeof(*c));
  if (!c)
    return PROF_ENOMEM;
  c->s = s;
  c->native_max = s->cfg.max_depth + 512 < PROF__NATIVE_MAX
                      ? s->cfg.max_depth + 512 : PROF__NATIVE_MAX;
  prof__agg_init(&c->agg);
  c->ms = prof__modules_new();
  int r = c->ms ? prof__unwinder_new(&c->unw, s->cfg.unwind, c->ms)
                : PROF_ENOMEM;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  if (r == 0 && pthread_create(&c->thread, NULL, prof__collector_main, c))
    r = PROF_ENOMEM;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (r) {
    prof__unwinder_free(c->unw);
    prof__modules_free(c->ms);
    free(c);
    return r;
  }
  pthread_setname_np(c->thread, "libprof-collect");
  s->collector = c;
  return 0;
}

int prof__collector_finish(struct prof__session *s,
                           struct prof__collector_totals *t) {
  struct prof__collector *c = s->collector;
  atomic_store(&c->stopping, 1);
  prof__ring_kick(&s->sampler.ring);
  pthread_join(c->thread, NULL);
  int r = c->result;
  t->kept = c->kept;
  t->weight_ns = c->weight_ns;
  t->threads = c->agg.nthreads;
  prof__unwinder_free(c->unw);
  prof__modules_free(c->ms);
  prof__agg_destroy(&c->agg);
  free(c);
  s->collector = NULL;
  return r;
}

void prof__collector_sync(struct prof__session *s) {
  struct prof__collector *c = s->collector;
  if (pthread_equal(pthread_self(), c->thread))
    return;
  uint64_t want = atomic_fetch_add(&c->sync_req, 1) + 1;
  prof__ring_kick(&s->sampler.ring);
  while (atomic_load(&c->sync_done) < want && !atomic_load(&c->stopping)) {
    struct timespec ts = {0, 200 * 1000};
    nanosleep(&ts, NULL);
  }
}
