/* prof_start / prof_stop, start-up from LIBPROF_OUT, and the summary. */
#include "profiler/session.h"
#include "base/forklock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "profiler/collector.h"
#include "profiler/endings.h"
#include "profiler/fork.h"
#include "profiler/python.h"
#include "sigpath/stats.h"
#include "sigpath/thread.h"
#include "profiler/runtime.h"
#include "profiler/log.h"
#include "profiler/sigown.h"
#include "profiler/symdisk.h"
#include "profiler/threads.h"
#include "profiler/trigger.h"
#include "unwind/modules.h"

#define PROF__RING_SLOTS 256

static pthread_mutex_t prof__lock = PTHREAD_MUTEX_INITIALIZER;
static struct prof__session *prof__session; /* under prof__lock */
static uint32_t prof__generation;
/* Thread holding prof__lock (0: none), for the ending handlers: a thread
 * interrupted in prof_start/prof_stop cannot wait for the writer. */
static _Atomic int32_t prof__lock_tid;
/* Why the session is being stopped, for the summary ("SIGTERM"). */
static const char *prof__stop_why;

static void prof__lock_session(void) {
  pthread_mutex_lock(&prof__lock);
  atomic_store(&prof__lock_tid, prof__thread_tid());
}

static void prof__unlock_session(void) {
  atomic_store(&prof__lock_tid, 0);
  pthread_mutex_unlock(&prof__lock);
}

int prof__session_held_here(void) {
  return atomic_load(&prof__lock_tid) == prof__thread_tid();
}

/* Messages before a session has its log (bad settings) go to fd 2. */
static void prof__say(const struct prof__session *s, const char *line) {
  if (s)
    prof__log_write(&s->log, line);
  else if (write(STDERR_FILENO, line, strlen(line)) < 0)
    return; /* nowhere to say it */
}

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
  if (prof__trigger_is_go()) { /* it took the real-time signals too */
    snprintf(s->mode_note, sizeof(s->mode_note),
             "the Go runtime took signal %d (it takes every signal); Go "
             "programs are profiled through the libprof Go package "
             "(docs/go.md)",
             theirs);
    return PROF_ESIGNAL;
  }
  int alt = s->cfg.mode == PROF__MODE_ITIMER
                ? -1
                : prof__trigger_free_signal(0, NULL);
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
  return 0;
}

/* Our handler becomes the kernel's disposition; the program keeps seeing
 * its own (sigown.c). A fork child's session finds the signal already
 * claimed, with the program's disposition remembered. */
static int prof__install(struct prof__session *s) {
  struct sigaction sa;
  prof__handler_action(&sa);
  if (prof__sigown_view(s->cfg.signal, &s->old_action) != 0)
    return PROF_ESIGNAL;
  if (prof__is_theirs(&s->old_action)) {
    int r = prof__resolve_conflict(s);
    if (r)
      return r;
  }
  if (prof__sigown_claim(s->cfg.signal, PROF__ROLE_SAMPLING, &sa) != 0)
    return PROF_ESIGNAL;
  s->installed = 1;
  prof__endings_start();
  return 0;
}

/* The program's dispositions come back (a sampling signal through
 * SIG_IGN, which discards instances still pending: SIG_DFL kills on
 * SIGPROF). A signal the program took meanwhile is already its own. */
static void prof__uninstall(struct prof__session *s) {
  prof__sigown_release(s->cfg.signal);
  prof__endings_stop();
}

static int prof__open(struct prof__session *s) {
  struct prof__sampler *sp = &s->sampler;
  prof__python_setup(s->cfg.python); /* CPython 3.11, if this is Python */
  sp->gen = ++prof__generation;
  sp->pid = getpid();
  sp->wall = s->cfg.mode == PROF__MODE_WALL;
  sp->period_ns = 1000000000u / (uint64_t)s->cfg.hz;
  sp->itimer = s->cfg.mode == PROF__MODE_ITIMER;
  sp->seed = s->cfg.seed; /* config drew one when LIBPROF_SEED is unset */
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
  prof__handlers_wait();
}

static void prof__release(struct prof__session *s) {
  if (s->installed)
    prof__uninstall(s);
  prof__log_close(&s->log);
  prof__ring_destroy(&s->sampler.ring);
  prof__trigger_free(s);
  free(s);
}

static void prof__report_start_error(struct prof__session *s, int err) {
  char line[512];
  snprintf(line, sizeof(line), "libprof: cannot start: %s%s%s; profiling is off\n",
           prof_strerror(err), s->mode_note[0] ? ": " : "", s->mode_note);
  prof__say(s, line);
}

/* A child made without fork (raw clone) has a copy of the parent's
 * session but none of its threads: it must not stop it. */
static void prof__atexit(void) {
  struct prof__sampler *sp = atomic_load(&prof__active);
  if (sp && sp->pid == getpid())
    prof_stop();
}

static void prof__register_atexit(void) { atexit(prof__atexit); }

/* The summary channel; an unusable LIBPROF_LOG is a bad setting. */
static int prof__open_log(struct prof__session *s) {
  int r = prof__log_open(&s->log, s->cfg.log);
  if (r == 0)
    return 0;
  char line[4400];
  snprintf(line, sizeof(line),
           "libprof: LIBPROF_LOG=\"%s\": cannot open (%s); expected a "
           "writable file path; profiling is off\n",
           s->cfg.log, strerror(-r));
  prof__say(NULL, line);
  free(s);
  return PROF_ECONFIG;
}

/* Opens s, or reports why not and frees it. Under prof__lock. */
static int prof__launch(struct prof__session *s) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  int r = prof__open_log(s);
  if (r != 0)
    return r;
  r = prof__open(s);
  if (r != 0) {
    prof__report_start_error(s, r);
    prof__log_close(&s->log);
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
  char why[600]; /* an unusable LIBPROF_CACHE_DIR: profiled without it */
  if (prof__symdisk_check(s->cfg.cache_dir, why, sizeof(why)) != 0)
    prof__say(s, why);
  return 0;
}

int prof_start(const struct prof_options *opts) {
  char err[600];
  if (prof__collector_self())
    return PROF_ESTATE; /* from a symbolizer hook: see prof_stop */
  prof__lock_session();
  if (prof__session) {
    prof__unlock_session();
    return PROF_EBUSY;
  }
  struct prof__session *s = calloc(1, sizeof(*s));
  int r = s ? prof__config_load(opts, &s->cfg, err, sizeof(err)) : PROF_ENOMEM;
  if (r && s && err[0]) {
    prof__say(NULL, err); /* err may be full: no strcat of the newline */
    prof__say(NULL, "\n");
  }
  if (r)
    free(s);
  else
    r = prof__launch(s);
  prof__unlock_session();
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
  if (prof__stop_why)
    n += snprintf(line + n, sizeof(line) - (size_t)n, "; written at %s",
                  prof__stop_why);
  if (err)
    snprintf(line + n, sizeof(line) - (size_t)n, "; NOT written to %s: %s\n",
             s->cfg.out, prof_strerror(err));
  else
    snprintf(line + n, sizeof(line) - (size_t)n, " -> %s\n", s->cfg.out);
  prof__say(s, line);
}

int prof_stop(void) {
  /* A symbolizer hook runs on the collector, which prof_stop waits for
   * while it holds the session lock: refuse instead of deadlocking. */
  if (prof__collector_self())
    return PROF_ESTATE;
  prof__lock_session();
  struct prof__session *s = prof__session;
  if (!s) {
    prof__unlock_session();
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
  prof__unlock_session();
  return r;
}

void prof__stop_for(const char *why) {
  prof__lock_session();
  prof__stop_why = why;
  prof__unlock_session();
  prof_stop();
  prof__stop_why = NULL;
}

int prof_running(void) { return atomic_load(&prof__active) != NULL; }

int prof__session_locked(int (*fn)(struct prof__session *, void *),
                         void *arg) {
  prof__lock_session();
  int r = fn(prof__session, arg);
  prof__unlock_session();
  return r;
}

/* fork(). The prepare handler blocks the sampling signal in the forking
 * thread (so no sample can interrupt, and restart, the fork of a large
 * process) and takes every libprof lock, in the order the code nests
 * them (session, runtimes, thread registry, thread names, loader
 * iteration), so the child never inherits one locked by a thread that
 * does not exist there. A libprof thread (a runtime's symbolizer forking
 * on the collector) skips the session lock: prof_stop holds it while it
 * waits for that thread.
 * The child has no collector or sampler thread, and must never write the
 * parent's file: it forgets the parent's session (its memory is a copy;
 * leaking it in the child is harmless). Unless LIBPROF_FORK=stop, its
 * own session, with the same settings into its own file, starts in
 * libprof's fork() once fork has returned (prof__fork_follow), not in the
 * handler: other libraries' child handlers, which run after ours, may
 * still have to release locks that calloc, dlopen or pthread_create
 * need. */
static int prof__fork_took_lock;
static struct prof__config prof__fork_cfg; /* the child's settings */
static int prof__fork_pending;             /* prof__fork_follow owes one */

static void prof__fork_prepare(void) {
  prof__fork_took_lock = !prof__threads_self_internal();
  if (prof__fork_took_lock)
    prof__lock_session();
  if (prof__session)
    prof__fork_block(prof__session->cfg.signal);
  prof__runtimes_fork_prepare();
  prof__threads_fork_prepare();
  prof__modules_fork_prepare();
}

static void prof__fork_parent(void) {
  prof__modules_fork_parent();
  prof__threads_fork_parent();
  prof__runtimes_fork_parent();
  if (prof__fork_took_lock)
    prof__unlock_session();
  prof__fork_unblock();
}

void prof__fork_child_reset(int follow) {
  prof__tls.tid = 0; /* first: a sample from now on is the child's */
  struct prof__session *parent = prof__session;
  if (parent) /* the child's session takes its own */
    prof__log_close(&parent->log);
  /* follow: from the atfork child handler, after prepare took every
   * lock; else from _Fork, where no handler ran. */
  prof__fork_relock(&prof__lock, follow && prof__fork_took_lock);
  atomic_store(&prof__lock_tid, 0);
  prof__runtimes_fork_child(follow);
  prof__threads_fork_child(follow);
  prof__modules_fork_child(follow);
  atomic_store(&prof__active, NULL);
  atomic_store(&prof__handlers_running, 0);
  prof__session = NULL;
  prof__fork_pending = 0;
  if (parent && !parent->cfg.fork_stop && follow) {
    prof__fork_cfg = parent->cfg;
    prof__fork_pending = 1;
  } else if (parent && parent->installed) {
    prof__uninstall(parent); /* no session: the program's disposition is back */
  }
}

static void prof__fork_child(void) {
  prof__fork_child_reset(1);
  prof__fork_unblock();
}

void prof__fork_follow(void) {
  if (!prof__fork_pending)
    return;
  prof__fork_pending = 0;
  struct prof__session *s = calloc(1, sizeof(*s));
  if (!s)
    return;
  s->cfg = prof__fork_cfg;
  s->fork_child = 1;
  prof__out_for_pid(&s->cfg, getpid());
  char err[600];
  if (prof__config_check_out(&s->cfg, err, sizeof(err)) != 0) {
    prof__say(NULL, err); /* the child runs unprofiled */
    prof__say(NULL, "\n");
    free(s);
    return;
  }
  prof__lock_session();
  if (prof__session)
    free(s); /* the child called prof_start first */
  else
    prof__launch(s);
  prof__unlock_session();
}

/* Defined by a program that must not profile itself at load although
 * LIBPROF_OUT is in its environment (libprof.h; the libprof CLI, which
 * passes it on to the program it records). Weak: absent in every other
 * program, and then its address is NULL. */
extern const int prof_no_autostart __attribute__((weak));

/* LIBPROF_START=manual: LIBPROF_OUT configures, the program's
 * prof_start(NULL) starts. Any other value is checked by that start
 * (config.c), which reports a bad one. */
static int prof__autostart(void) {
  const char *v = secure_getenv("LIBPROF_START");
  return !v || strcmp(v, "manual") != 0;
}

/* The constructor: atfork handlers always, a session when LIBPROF_OUT is
 * set (README, "What linking does"). */
__attribute__((constructor)) static void prof__init(void) {
  pthread_atfork(prof__fork_prepare, prof__fork_parent, prof__fork_child);
  const char *out = secure_getenv("LIBPROF_OUT");
  if (out && out[0] && &prof_no_autostart == NULL && prof__autostart()) {
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
      "call not allowed in this state",
      "no output path: set LIBPROF_OUT or prof_options.out"};
  int i = -err;
  if (i < 0 || i >= (int)(sizeof(msgs) / sizeof(msgs[0])))
    return "unknown libprof error";
  return msgs[i];
}
