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
#include "profiler/runtime.h"
#include "profiler/symbolize.h"
#include "sigpath/thread.h"
#include "profiler/thread_names.h"
#include "profiler/threads.h"
#include "unwind/unwind.h"

#define PROF__NATIVE_MAX 2048

/* The collector's start-up (see prof__collector_init). Whoever moves
 * `init` away from PENDING first decides: the collector (ready, or its
 * error) or prof__collector_finish giving up on it (ABANDONED), after
 * which the collector frees what it made and touches nothing else. */
#define PROF__INIT_PENDING 0
#define PROF__INIT_READY 1
#define PROF__INIT_ABANDONED 2

struct prof__collector {
  struct prof__session *s;
  pthread_t thread;
  _Atomic int stopping;
  _Atomic uint64_t sync_req, sync_done; /* prof__collector_sync tickets */
  _Atomic int job_req;                  /* prof__collector_call pending */
  void (*job_fn)(struct prof__agg *, void *);
  void *job_arg;
  struct prof__modules *ms;
  struct prof__unwinder *unw;
  struct prof__agg agg;
  _Atomic int init; /* PROF__INIT_*, or the negative error */
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
  for (unsigned f = 1; f <= PROF__FMT_LAST; f <<= 1) {
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
  struct prof__natsym *ns = prof__natsym_new(c->ms, c->s->cfg.debug_dirs,
                                              c->s->cfg.cache_dir);
  int r = ns ? prof__build_model(&c->agg, c->ms, ns, &meta, &m) : PROF_ENOMEM;
  if (r == 0)
    r = prof__write_all(c, m);
  prof__model_free(m);
  prof__natsym_free(ns);
  return r;
}

/* Waits until the collector has made its module list, for at most
 * max_ms (-1: no limit). Returns its init state (0 = still pending). */
static int prof__collector_await(struct prof__collector *c, int max_ms) {
  for (int waited = 0; max_ms < 0 || waited < max_ms; waited++) {
    int st = atomic_load(&c->init);
    if (st != PROF__INIT_PENDING)
      return st;
    struct timespec ts = {0, 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return atomic_load(&c->init);
}

static void prof__collector_free(struct prof__collector *c) {
  prof__unwinder_free(c->unw);
  prof__modules_free(c->ms);
  prof__agg_destroy(&c->agg);
  free(c);
}

/* The module list and the unwinder are made here, on the collector, not
 * on the thread that starts the session: both take the dynamic loader's
 * lock (dl_iterate_phdr, dlopen), which a fork child can inherit held by
 * a thread that existed only in the parent (glibc 2.36 does not reset it
 * in the child). The program's own thread must never wait on that. */
static int prof__collector_init(struct prof__collector *c) {
  c->ms = prof__modules_new();
  return c->ms ? prof__unwinder_new(&c->unw, c->s->cfg.unwind, c->ms)
               : PROF_ENOMEM;
}

/* Set on collector threads: prof_start/prof_stop from a symbolizer hook
 * (which runs here) would wait for this very thread. */
static __thread int prof__on_collector
    __attribute__((tls_model("initial-exec")));

int prof__collector_self(void) { return prof__on_collector; }

static void *prof__collector_main(void *arg) {
  struct prof__collector *c = arg;
  prof__on_collector = 1;
  int r = prof__collector_init(c);
  int pending = PROF__INIT_PENDING;
  if (!atomic_compare_exchange_strong(&c->init, &pending,
                                      r ? r : PROF__INIT_READY)) {
    prof__collector_free(c); /* abandoned: the session is gone */
    return NULL;
  }
  if (r)
    return NULL;
  for (;;) {
    int stopping = atomic_load(&c->stopping);
    uint64_t req = atomic_load(&c->sync_req);
    int job = atomic_load(&c->job_req); /* read before the drain */
    prof__drain(c);
    if (job) {
      c->job_fn(&c->agg, c->job_arg);
      atomic_store(&c->job_req, 0);
    }
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
  prof__runtimes_session_end(); /* a fork child's copy of the parent's */
  struct prof__collector *c = calloc(1, sizeof(*c));
  if (!c)
    return PROF_ENOMEM;
  c->s = s;
  c->native_max = s->cfg.max_depth + 512 < PROF__NATIVE_MAX
                      ? s->cfg.max_depth + 512 : PROF__NATIVE_MAX;
  prof__agg_init(&c->agg);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int r = prof__thread_create_internal(&c->thread, prof__collector_main, c)
              ? PROF_ENOMEM : 0;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  /* A start reports a missing libunwind at once; a fork child waits a
   * little only (see prof__collector_init) and goes on sampling. */
  int st = r ? r : prof__collector_await(c, s->fork_child ? 100 : -1);
  if (st < 0) {
    if (!r)
      pthread_join(c->thread, NULL);
    prof__collector_free(c);
    return st;
  }
  pthread_setname_np(c->thread, "libprof-collect");
  s->collector = c;
  return 0;
}

int prof__collector_finish(struct prof__session *s,
                           struct prof__collector_totals *t) {
  struct prof__collector *c = s->collector;
  s->collector = NULL;
  atomic_store(&c->stopping, 1);
  prof__ring_kick(&s->sampler.ring);
  memset(t, 0, sizeof(*t));
  int pending = PROF__INIT_PENDING;
  if (prof__collector_await(c, 1000) == PROF__INIT_PENDING &&
      atomic_compare_exchange_strong(&c->init, &pending,
                                     PROF__INIT_ABANDONED)) {
    /* Still blocked on the loader lock a fork left held, which never
     * ends: the collector is abandoned (it frees itself if it ever
     * wakes up) and nothing is written. */
    snprintf(s->mode_note, sizeof(s->mode_note),
             "the dynamic loader's lock was held at fork by a thread of the "
             "parent (glibc does not reset it): no module list");
    prof__runtimes_session_end();
    return PROF_ESTATE;
  }
  pthread_join(c->thread, NULL);
  int r = c->result;
  t->kept = c->kept;
  t->weight_ns = c->weight_ns;
  t->threads = c->agg.nthreads;
  prof__collector_free(c);
  prof__runtimes_session_end();
  return r;
}

void prof__collector_sync(struct prof__session *s) {
  struct prof__collector *c = s->collector;
  if (pthread_equal(pthread_self(), c->thread))
    return;
  uint64_t want = atomic_fetch_add(&c->sync_req, 1) + 1;
  prof__ring_kick(&s->sampler.ring);
  /* A collector still making its module list has unwound nothing yet,
   * and may be stuck on a fork's loader lock: nothing to wait for. */
  while (atomic_load(&c->sync_done) < want && !atomic_load(&c->stopping) &&
         atomic_load(&c->init) == PROF__INIT_READY) {
    struct timespec ts = {0, 200 * 1000};
    nanosleep(&ts, NULL);
  }
}

void prof__collector_call(struct prof__session *s,
                          void (*fn)(struct prof__agg *, void *), void *arg) {
  struct prof__collector *c = s->collector;
  c->job_fn = fn;
  c->job_arg = arg;
  atomic_store(&c->job_req, 1);
  prof__ring_kick(&s->sampler.ring);
  while (atomic_load(&c->job_req)) {
    struct timespec ts = {0, 200 * 1000};
    nanosleep(&ts, NULL);
  }
}
