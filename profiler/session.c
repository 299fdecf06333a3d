/* prof_start / prof_stop, start-up from LIBPROF_OUT, and the summary. */
#include "profiler/session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "profiler/collector.h"
#include "profiler/fork.h"
#include "profiler/python.h"
#include "sigpath/stats.h"
#include "sigpath/thread.h"
#include "profiler/threads.h"
#include "profiler/trigger.h"

#define PROF__RING_SLOTS 256

static pthread_mutex_t prof__lock = PTHREAD_MUTEX_INITIALIZER;
static struct prof__session *prof__session; /* under prof__lock */
static uint32_t prof__generation;

static void prof__say(const char *line) {
  size_t n = strlen(line);
  while (n > 0) {
    ssize_t w = write(STDERR_FILENO, line, n);
    if (w <= 0)
      return;
    line += w;
    n -= (size_t)w;
  }
}

/* The disposition libprof replaced, kept for sessions that find their own
 * handler already installed (a fork child, whose session inherits it). */
static struct sigaction prof__orig_action;
static int prof__orig_sig;

static int prof__is_theirs(const struct sigaction *sa) {
  if (sa->sa_flags & SA_SIGINFO)
    return !prof__handler_is_ours(sa);
  return sa->sa_handler != SIG_DFL && sa->sa_handler != SIG_IGN;
}

/* The program already handles the signal: taking it over silently would
 * break the program. Modes whose trigger can send any signal move to a
 * free real-time signal; itimer must use SIGPROF and stays off. */
static int prof__resolve_conflict(struct prof__session *s) {
  int theirs = s->cfg.signal;
  int alt = s->cfg.mode == PROF__MODE_ITIMER ? -1
                                             : prof__trigger_free_signal(0);
  if (alt < 0) {
    snprintf(s->mode_note, sizeof(s->mode_note),
             "signal %d already has a handler installed by the program%s",
             theirs, s->cfg.mode == PROF__MODE_ITIMER
                         ? " and mode itimer needs it"
                         : " and no real-time signal is free");
    return PROF_ESIGNAL;
  }
  s->cfg.signal = alt;
  snprintf(s->mode_note, sizeof(s->mode_note),
           "signal %d has the program's handler: sampling with signal %d "
           "(SIGRTMIN+%d) instead",
           theirs, alt, alt - SIGRTMIN);
  return sigaction(alt, NULL, &s->old_action) == 0 ? 0 : PROF_ESIGNAL;
}

static int prof__install(struct prof__session *s) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = prof__on_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  if (sigaction(s->cfg.signal, NULL, &s->old_action) != 0)
    return PROF_ESIGNAL;
  if (prof__handler_is_ours(&s->old_action)) {
    if (prof__orig_sig == s->cfg.signal)
      s->old_action = prof__orig_action;
    else
      memset(&s->old_action, 0, sizeof(s->old_action)); /* SIG_DFL */
  } else if (prof__is_theirs(&s->old_action)) {
    int r = prof__resolve_conflict(s);
    if (r)
      return r;
  }
  if (sigaction(s->cfg.signal, &sa, NULL) != 0)
    return PROF_ESIGNAL;
  prof__orig_action = s->old_action;
  prof__orig_sig = s->cfg.signal;
  s->installed = 1;
  return 0;
}

/* Passing through SIG_IGN discards instances still pending, which would
 * otherwise hit the restored disposition (SIG_DFL kills on SIGPROF). If
 * the program installed its own handler meanwhile, it owns the signal:
 * leave its handler in place. */
static void prof__uninstall(struct prof__session *s) {
  struct sigaction ign, cur;
  if (sigaction(s->cfg.signal, NULL, &cur) != 0 || !prof__handler_is_ours(&cur))
    return;
  memset(&ign, 0, sizeof(ign));
  ign.sa_handler = SIG_IGN;
  sigaction(s->cfg.signal, &ign, NULL);
  sigaction(s->cfg.signal, &s->old_action, NULL);
}

static int prof__open(struct prof__session *s) {
  struct prof__sampler *sp = &s->sampler;
  prof__python_setup(s->cfg.python); /* CPython 3.11, if this is Python */
  sp->gen = ++prof__generation;
  sp->pid = getpid();
  sp->wall = s->cfg.mode == PROF__MODE_WALL;
  sp->period_ns = 1000000000u / (uint64_t)s->cfg.hz;
  sp->stack_bytes = s->cfg.stack_bytes;
  int r = prof__ring_init(&sp->ring, PROF__RING_SLOTS,
                          sizeof(struct prof__sample) + s->cfg.stack_bytes);
  if (r)
    return r;
  memset(&prof__stats, 0, sizeof(prof__stats));
  s->start_mono_ns = prof__now_ns(CLOCK_MONOTONIC);
  s->start_unix_ns = prof__now_ns(CLOCK_REALTIME);
  prof__baseline_fill(sp);
  prof__threads_internal_begin(); /* the collector is not to be sampled */
  r = prof__collector_start(s);
  prof__threads_internal_end();
  if (r != 0)
    return r;
  if ((r = prof__install(s)) != 0)
    return r;
  atomic_store(&prof__active, sp);
  return prof__trigger_start(s);
}

/* Stops signal production and waits out handlers already running, so
 * every slot they claimed is published before the final drain. */
static void prof__quiesce(struct prof__session *s) {
  prof__trigger_stop(s);
  atomic_store(&prof__active, NULL);
  while (atomic_load(&prof__handlers_running) != 0) {
    struct timespec ts = {0, 50 * 1000};
    nanosleep(&ts, NULL);
  }
}

static void prof__release(struct prof__session *s) {
  if (s->installed)
    prof__uninstall(s);
  prof__ring_destroy(&s->sampler.ring);
  prof__trigger_free(s);
  free(s);
}

static void prof__report_start_error(struct prof__session *s, int err) {
  char line[512];
  snprintf(line, sizeof(line), "libprof: cannot start: %s%s%s; profiling is off\n",
           prof_strerror(err), s->mode_note[0] ? ": " : "", s->mode_note);
  prof__say(line);
}

static void prof__atexit(void) {
  if (prof_running())
    prof_stop();
}

static void prof__register_atexit(void) { atexit(prof__atexit); }

/* Opens s, or reports why not and frees it. Under prof__lock. */
static int prof__launch(struct prof__session *s) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  int r = prof__open(s);
  if (r != 0) {
    prof__report_start_error(s, r);
    prof__quiesce(s);
    if (s->collector) {
      struct prof__collector_totals t;
      s->cfg.formats = 0; /* write nothing */
      prof__collector_finish(s, &t);
    }
    prof__release(s);
    return r;
  }
  prof__session = s;
  pthread_once(&once, prof__register_atexit);
  return 0;
}

int prof_start(const struct prof_options *opts) {
  char err[600];
  pthread_mutex_lock(&prof__lock);
  if (prof__session) {
    pthread_mutex_unlock(&prof__lock);
    return PROF_EBUSY;
  }
  struct prof__session *s = calloc(1, sizeof(*s));
  int r = s ? prof__config_load(opts, &s->cfg, err, sizeof(err)) : PROF_ENOMEM;
  if (r && s && err[0]) {
    strcat(err, "\n");
    prof__say(err);
  }
  if (r) {
    free(s);
  } else {
    prof__out_adjust(&s->cfg); /* an exec'd program writes its own file */
    r = prof__launch(s);
  }
  pthread_mutex_unlock(&prof__lock);
  return r;
}

static void prof__summary(const struct prof__session *s,
                          const struct prof__collector_totals *t, int err) {
  char line[5000], rates[1500];
  uint64_t taken = atomic_load(&prof__stats.taken);
  uint64_t misuse =
      atomic_load(&prof__stats.unmatched) + atomic_load(&prof__stats.overflow) +
      atomic_load(&prof__stats.mismatched) +
      atomic_load(&prof__stats.bad_runtime);
  /* Dropped samples were taken too: they count toward the rate. */
  prof__trigger_summary(s, taken,
                        t->weight_ns + atomic_load(&prof__stats.dropped_ns),
                        rates, sizeof(rates));
  int n = snprintf(line, sizeof(line),
      "libprof: %llu samples (%llu kept, %llu dropped, %llu truncated, "
      "%llu unwind failures), %llu threads, %s",
      (unsigned long long)taken, (unsigned long long)t->kept,
      (unsigned long long)atomic_load(&s->sampler.ring.dropped),
      (unsigned long long)atomic_load(&prof__stats.truncated),
      (unsigned long long)atomic_load(&prof__stats.unwind_failed),
      (unsigned long long)t->threads, rates);
  if (misuse)
    n += snprintf(line + n, sizeof(line) - (size_t)n,
                  ", %llu crossing misuses (%llu unmatched leave, %llu "
                  "overflow, %llu mismatched, %llu unknown runtime)",
                  (unsigned long long)misuse,
                  (unsigned long long)atomic_load(&prof__stats.unmatched),
                  (unsigned long long)atomic_load(&prof__stats.overflow),
                  (unsigned long long)atomic_load(&prof__stats.mismatched),
                  (unsigned long long)atomic_load(&prof__stats.bad_runtime));
  if (s->mode_note[0])
    n += snprintf(line + n, sizeof(line) - (size_t)n, "; %s", s->mode_note);
  if (err)
    snprintf(line + n, sizeof(line) - (size_t)n, "; NOT written to %s: %s\n",
             s->cfg.out, prof_strerror(err));
  else
    snprintf(line + n, sizeof(line) - (size_t)n, " -> %s\n", s->cfg.out);
  prof__say(line);
}

int prof_stop(void) {
  pthread_mutex_lock(&prof__lock);
  struct prof__session *s = prof__session;
  if (!s) {
    pthread_mutex_unlock(&prof__lock);
    return PROF_ENOTRUNNING;
  }
  prof__quiesce(s);
  s->stop_mono_ns = prof__now_ns(CLOCK_MONOTONIC);
  prof__uninstall(s);
  s->installed = 0;
  struct prof__collector_totals t;
  int r = prof__collector_finish(s, &t);
  if (!s->cfg.quiet || r)
    prof__summary(s, &t, r);
  prof__session = NULL;
  prof__release(s);
  pthread_mutex_unlock(&prof__lock);
  return r;
}

int prof_running(void) { return atomic_load(&prof__active) != NULL; }

/* fork(). The prepare handler blocks the sampling signal in the forking
 * thread (so no sample can interrupt, and restart, the fork of a large
 * process) and holds the session and registry locks across fork, so the
 * child never inherits them locked mid-start.
 * The child has no collector or sampler thread, and must never write the
 * parent's file: it forgets the parent's session (its memory is a copy;
 * leaking it in the child is harmless) and, unless LIBPROF_FORK=stop,
 * starts its own session with the same settings into its own file. */
static void prof__fork_prepare(void) {
  pthread_mutex_lock(&prof__lock);
  if (prof__session)
    prof__fork_block(prof__session->cfg.signal);
  prof__threads_fork_prepare();
}

static void prof__fork_parent(void) {
  prof__threads_fork_parent();
  pthread_mutex_unlock(&prof__lock);
  prof__fork_unblock();
}

static void prof__follow(const struct prof__session *parent) {
  struct prof__session *s = calloc(1, sizeof(*s));
  if (!s)
    return;
  s->cfg = parent->cfg;
  prof__out_for_pid(&s->cfg, getpid());
  prof__launch(s);
}

static void prof__fork_child(void) {
  struct prof__session *parent = prof__session;
  pthread_mutex_init(&prof__lock, NULL);
  atomic_store(&prof__active, NULL);
  atomic_store(&prof__handlers_running, 0);
  prof__session = NULL;
  prof__threads_fork_child();
  if (parent && !parent->cfg.fork_stop)
    prof__follow(parent);
  else if (parent && parent->installed)
    prof__uninstall(parent); /* stop: the program's disposition is back */
  prof__fork_unblock();
}

__attribute__((constructor)) static void prof__init(void) {
  pthread_atfork(prof__fork_prepare, prof__fork_parent, prof__fork_child);
  const char *out = secure_getenv("LIBPROF_OUT");
  if (out && out[0]) {
    prof__out_claim();
    prof_start(NULL);
  }
}

const char *prof_version(void) { return PROF_VERSION_STRING; }

const char *prof_strerror(int err) {
  static const char *const msgs[] = {
      "success",
      "invalid argument",
      "out of memory",
      "profiling is already running",
      "profiling is not running",
      "unsupported hook contract version (must be 0)",
      "too many runtimes registered",
      "output path cannot be written",
      "sampling signal is taken or invalid",
      "no sampling trigger could be created",
      "DWARF unwinder (libunwind) cannot be loaded",
      "unknown format or malformed profile file",
      "invalid LIBPROF_* setting",
      "file read or write failed",
      "call not allowed in this state"};
  int i = -err;
  if (i < 0 || i >= (int)(sizeof(msgs) / sizeof(msgs[0])))
    return "unknown libprof error";
  return msgs[i];
}
