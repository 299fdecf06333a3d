/* The cgo provider's preparation (sigpath/cgo.h): prof_cgo_init, and the
 * thread that derives unwind rules outside any signal handler and
 * publishes them as immutable tables for the hooks.
 *
 * Rules are derived for whole functions (FDE ranges), one probe per byte
 * (unwind/probe.c): a function's rows change only inside it, so after one
 * miss every PC of that function is known, which a per-PC cache would
 * need one miss each for. Consecutive bytes with the same rule become one
 * range. The executable's C code is prepared first, eagerly: it holds the
 * cgo wrappers that every callback and every cgo call passes through. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/grow.h"
#include "libprof.h"
#include "profiler/cgo.h"
#include "sigpath/cgo.h"

#define PROF__CGO_FUNC_MAX (256u << 10) /* larger: not probed (one range) */
#define PROF__CGO_SYNC_MAX (64u << 10)  /* exe bytes probed in prof_cgo_init */
#define PROF__CGO_EAGER_MAX (4u << 20)  /* ... and in all, eagerly         */
#define PROF__CGO_TICK_NS 5000000L      /* the preparer looks every 5 ms+  */
#define PROF__CGO_RETIRED 16

static struct prof__cgo prof__cgo;
static struct prof__cgo *prof__cgo_ready;
static pthread_once_t prof__cgo_once = PTHREAD_ONCE_INIT;
static int prof__cgo_err;

/* The preparer's working copy (preparer thread only, after init). */
static struct {
  struct prof__cgo_range *r; /* sorted after each function */
  size_t n, cap;
  struct prof__cgo_span *go;
  size_t ngo, capgo;
  const struct prof__cgo_table *retired[PROF__CGO_RETIRED];
  int nretired;
} prof__cgo_w;

struct prof__cgo *prof__cgo_state(void) { return prof__cgo_ready; }

static int prof__cgo_range_cmp(const void *a, const void *b) {
  const struct prof__cgo_range *x = a, *y = b;
  return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int prof__cgo_push(uint64_t lo, uint64_t hi,
                          const struct prof__rule *r, uint32_t module) {
  struct prof__cgo_range *last = prof__cgo_w.n ? &prof__cgo_w.r[prof__cgo_w.n - 1]
                                               : NULL;
  if (last && last->hi == lo && last->module == module &&
      memcmp(&last->rule, r, sizeof(*r)) == 0) {
    last->hi = hi;
    return 0;
  }
  if (prof__grow((void **)&prof__cgo_w.r, &prof__cgo_w.cap, prof__cgo_w.n + 1,
                 sizeof(*prof__cgo_w.r)))
    return -1;
  prof__cgo_w.r[prof__cgo_w.n++] =
      (struct prof__cgo_range){lo, hi, *r, module};
  return 0;
}

/* Whether the working set has a rule for at (it is sorted). */
static int prof__cgo_known(uint64_t at) {
  struct prof__cgo_table view = {prof__cgo_w.r, (uint32_t)prof__cgo_w.n,
                                 NULL, 0};
  return prof__cgo_rule(&view, at) != NULL;
}

/* Probes every byte of [lo, hi) as an interrupted PC: a caller's frame is
 * looked up at its call instruction (ret - 1), whose row is the one in
 * force during the call, so one kind of rule serves both. */
static void prof__cgo_probe_func(uint64_t lo, uint64_t hi, uint32_t module) {
  struct prof__cgo *c = &prof__cgo;
  struct prof__rule r;
  size_t first = prof__cgo_w.n;
  if (prof__cgo_known(lo))
    return; /* whole functions only: its first byte tells */
  int err = 0;
  /* The lock is let go between chunks: a symbolizer in a crash dump
   * waits for it only that long. */
  for (uint64_t pc = lo; pc < hi && !err;) {
    pthread_mutex_lock(&c->lock);
    for (uint64_t end = pc + 256; pc < hi && pc < end && !err; pc++) {
      prof__probe_rule(c->prober, pc, PROF__RULE_FRAME0, &r);
      err = prof__cgo_push(pc, pc + 1, &r, module);
    }
    pthread_mutex_unlock(&c->lock);
  }
  if (first != prof__cgo_w.n)
    qsort(prof__cgo_w.r, prof__cgo_w.n, sizeof(*prof__cgo_w.r),
          prof__cgo_range_cmp);
}

/* Frees retired tables once no reader is in flight: a reader counts
 * itself in before loading the pointer, so after the new pointer was
 * stored, a count of zero means no reader still holds an old table. */
static void prof__cgo_reclaim(void) {
  if (atomic_load_explicit(&prof__cgo_readers, memory_order_seq_cst) != 0)
    return;
  for (int i = 0; i < prof__cgo_w.nretired; i++) {
    const struct prof__cgo_table *t = prof__cgo_w.retired[i];
    free((void *)t->ranges);
    free((void *)t->go);
    free((void *)t);
  }
  prof__cgo_w.nretired = 0;
}

static void prof__cgo_sleep(long ns) {
  struct timespec ts = {0, ns};
  nanosleep(&ts, NULL);
}

/* Publishes a copy of the working set. On ENOMEM the old table stays. */
static void prof__cgo_publish(void) {
  struct prof__cgo_table *t = calloc(1, sizeof(*t));
  struct prof__cgo_range *r = malloc((prof__cgo_w.n + 1) * sizeof(*r));
  struct prof__cgo_span *go = malloc((prof__cgo_w.ngo + 1) * sizeof(*go));
  while (prof__cgo_w.nretired == PROF__CGO_RETIRED) {
    prof__cgo_reclaim(); /* readers leave within one handler's time */
    prof__cgo_sleep(100000);
  }
  if (!t || !r || !go) {
    free(t), free(r), free(go);
    return;
  }
  memcpy(r, prof__cgo_w.r, prof__cgo_w.n * sizeof(*r));
  memcpy(go, prof__cgo_w.go, prof__cgo_w.ngo * sizeof(*go));
  *t = (struct prof__cgo_table){r, (uint32_t)prof__cgo_w.n, go,
                                (uint32_t)prof__cgo_w.ngo};
  const struct prof__cgo_table *old =
      atomic_exchange_explicit(&prof__cgo_table, t, memory_order_seq_cst);
  if (old)
    prof__cgo_w.retired[prof__cgo_w.nretired++] = old;
  prof__cgo_reclaim();
}

/* prof__fde_fn: collects the executable's FDE ranges into w.go (they are
 * turned into the complement, the Go code, afterwards). */
static int prof__cgo_collect(void *arg, uint64_t lo, uint64_t hi) {
  if (prof__grow((void **)&prof__cgo_w.go, &prof__cgo_w.capgo,
                 prof__cgo_w.ngo + 1, sizeof(*prof__cgo_w.go)))
    return 1;
  prof__cgo_w.go[prof__cgo_w.ngo++] = (struct prof__cgo_span){lo, hi};
  return 0;
}

/* The Go ranges: the executable's code that no FDE covers. w.go holds
 * the FDE ranges in table (ascending) order on entry. */
static int prof__cgo_go_spans(const struct prof__module *exe) {
  size_t n = prof__cgo_w.ngo;
  struct prof__cgo_span *fde = prof__cgo_w.go;
  struct prof__cgo_span *go = calloc(n + 1, sizeof(*go));
  if (!go)
    return -1;
  size_t k = 0;
  uint64_t at = exe->text_lo;
  for (size_t i = 0; i <= n; i++) {
    uint64_t end = i < n ? fde[i].lo : exe->text_hi;
    if (end > at)
      go[k++] = (struct prof__cgo_span){at, end};
    if (i < n && fde[i].hi > at)
      at = fde[i].hi;
  }
  prof__cgo_w.go = go;
  prof__cgo_w.ngo = k;
  prof__cgo_w.capgo = n + 1;
  free(fde);
  return 0;
}

/* One missed PC: derive the rules of its whole function, unless an
 * earlier miss did already. A PC without an FDE gets a one-byte
 * "complex" range, so the walk stops there instead of missing again. */
static void prof__cgo_take_miss(uint64_t at) {
  struct prof__cgo *c = &prof__cgo;
  uint64_t lo, hi;
  if (prof__cgo_known(at))
    return;
  pthread_mutex_lock(&c->lock);
  const struct prof__module *m = prof__modules_find(c->ms, at);
  uint32_t id = m ? m->id : UINT32_MAX;
  int found = m && prof__probe_fde(c->prober, at, &lo, &hi) == 0 &&
              hi - lo <= PROF__CGO_FUNC_MAX;
  pthread_mutex_unlock(&c->lock);
  if (found) {
    prof__cgo_probe_func(lo, hi, id);
    return;
  }
  struct prof__rule stop = {0, 0, 0, PROF__RULE_COMPLEX};
  prof__cgo_push(at, at + 1, &stop, id);
  qsort(prof__cgo_w.r, prof__cgo_w.n, sizeof(*prof__cgo_w.r),
        prof__cgo_range_cmp);
}

/* Drops the ranges of unloaded modules (and of code outside any module),
 * whose addresses a later dlopen may reuse; 1 if any went. Rules are by
 * address, so until this runs a walk may apply a closed library's rules
 * to its successor: a wrong frame, never a fault (loads are proven). */
static int prof__cgo_sweep(void) {
  struct prof__cgo *c = &prof__cgo;
  size_t k = 0;
  pthread_mutex_lock(&c->lock);
  prof__modules_refresh(c->ms);
  for (size_t i = 0; i < prof__cgo_w.n; i++) {
    const struct prof__module *m =
        prof__modules_get(c->ms, prof__cgo_w.r[i].module);
    if (m && !m->unloaded)
      prof__cgo_w.r[k++] = prof__cgo_w.r[i];
  }
  pthread_mutex_unlock(&c->lock);
  int dropped = k != prof__cgo_w.n;
  prof__cgo_w.n = k;
  return dropped;
}

/* Takes every PC in the miss ring; 1 if there was any. */
static int prof__cgo_drain(void) {
  int any = 0;
  for (uint32_t i = 0; i < PROF__CGO_MISSES; i++) {
    uint64_t at = atomic_exchange_explicit(&prof__cgo_miss[i], 0,
                                           memory_order_relaxed);
    if (at) {
      prof__cgo_take_miss(at);
      any = 1;
    }
  }
  return any;
}

/* The executable's C functions, in FDE order (the Go ranges' complement
 * lists them). */
static void prof__cgo_eager(const struct prof__cgo_span *exe,
                            uint64_t budget) {
  uint64_t at = exe->lo;
  for (size_t i = 0; i <= prof__cgo_w.ngo && budget; i++) {
    uint64_t end = i < prof__cgo_w.ngo ? prof__cgo_w.go[i].lo : exe->hi;
    for (uint64_t lo, hi; at < end && budget; at = hi) {
      pthread_mutex_lock(&prof__cgo.lock);
      int ok = prof__probe_fde(prof__cgo.prober, at, &lo, &hi) == 0;
      pthread_mutex_unlock(&prof__cgo.lock);
      if (!ok || hi <= at || hi - lo > PROF__CGO_FUNC_MAX)
        break;
      hi = hi < end ? hi : end;
      prof__cgo_probe_func(at, hi, 0); /* module 0: the executable */
      budget = hi - at < budget ? budget - (hi - at) : 0;
    }
    if (i < prof__cgo_w.ngo)
      at = prof__cgo_w.go[i].hi;
  }
}

static struct prof__cgo_span prof__cgo_exe_text;

static void *prof__cgo_main(void *arg) {
  prof__cgo_eager(&prof__cgo_exe_text, PROF__CGO_EAGER_MAX);
  prof__cgo_publish();
  /* Every 5 ms while tracebacks meet new code, backing off to 160 ms
   * when they do not: an idle program pays ~6 wake-ups a second. */
  for (long tick = PROF__CGO_TICK_NS;;) {
    prof__cgo_sleep(tick);
    int swept = prof__cgo_sweep();
    if (prof__cgo_drain() || swept) {
      prof__cgo_publish();
      tick = PROF__CGO_TICK_NS;
    } else {
      if (prof__cgo_w.nretired)
        prof__cgo_reclaim();
      tick = tick < 32 * PROF__CGO_TICK_NS ? 2 * tick : tick;
    }
  }
  return NULL;
}

/* The preparer thread, with every signal blocked: the host's signals
 * (Go's profiling timer included) go to the host's own threads. */
static int prof__cgo_spawn(void) {
  pthread_attr_t attr;
  pthread_t th;
  sigset_t all, old;
  sigfillset(&all);
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int err = pthread_create(&th, &attr, prof__cgo_main, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  return err ? PROF_ENOMEM : 0;
}

static int prof__cgo_setup(void) {
  struct prof__cgo *c = &prof__cgo;
  pthread_mutex_init(&c->lock, NULL);
  c->ms = prof__modules_new();
  if (!c->ms)
    return PROF_ENOMEM;
  int err = prof__unw_load_api(&c->api);
  if (err)
    return err;
  c->prober = prof__prober_new(&c->api, c->ms);
  c->ns = prof__natsym_new(c->ms, NULL, NULL);
  const struct prof__module *exe = prof__modules_get(c->ms, 0);
  if (!c->prober || !c->ns || !exe)
    return PROF_EUNWIND;
  if (prof__module_fdes(c->prober, exe, prof__cgo_collect, NULL) != 0 ||
      prof__cgo_go_spans(exe) != 0 || prof__cgo_sym_init(c) != 0)
    return PROF_ENOMEM;
  /* The first functions of the executable's C code are prepared before
   * Go registers the hooks (the cgo wrappers and runtime/cgo's own C in
   * a typical program: tens of ms), so that the first callback and the
   * first crash unwind exactly; the rest follows in the thread. */
  prof__cgo_exe_text = (struct prof__cgo_span){exe->text_lo, exe->text_hi};
  prof__cgo_eager(&prof__cgo_exe_text, PROF__CGO_SYNC_MAX);
  prof__cgo_publish();
  return prof__cgo_spawn();
}

static void prof__cgo_once_fn(void) {
  prof__cgo_err = prof__cgo_setup();
  if (prof__cgo_err == 0)
    prof__cgo_ready = &prof__cgo;
}

int prof_cgo_init(void) {
  pthread_once(&prof__cgo_once, prof__cgo_once_fn);
  return prof__cgo_err;
}
