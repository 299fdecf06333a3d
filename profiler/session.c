/* prof_start / prof_stop, start-up from LIBPROF_OUT, and the summary. */
#include "profiler/session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "profiler/collector.h"
#include "profiler/stats.h"
#include "profiler/thread.h"
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

/* Installs the handler unless the host already has one for the signal:
 * taking it over silently would break the host. */
static int prof__install(struct prof__session *s) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = prof__on_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  if (sigaction(s->cfg.signal, NULL, &s->old_action) != 0)
    return PROF_ESIGNAL;
  int theirs = (s->old_action.sa_flags & SA_SIGINFO)
                   ? s->old_action.sa_sigaction != prof__on_signal
                   : (s->old_action.sa_handler != SIG_DFL &&
                      s->old_action.sa_handler != SIG_IGN);
  if (theirs) {
    snprintf(s->mode_note, sizeof(s->mode_note),
             "signal %d already has a handler installed by the program",
             s->cfg.signal);
    return PROF_ESIGNAL;
  }
  if (sigaction(s->cfg.signal, &sa, NULL) != 0)
    return PROF_ESIGNAL;
  s->installed = 1;
  return 0;
}

/* Passing through SIG_IGN discards instances still pending, which would
 * otherwise hit the restored disposition (SIG_DFL kills on SIGPROF). */
static void prof__uninstall(struct prof__session *s) {
  struct sigaction ign;
  memset(&ign, 0, sizeof(ign));
  ign.sa_handler = SIG_IGN;
  sigaction(s->cfg.signal, &ign, NULL);
  sigaction(s->cfg.signal, &s->old_action, NULL);
}

static int prof__open(struct prof__session *s) {
  struct prof__sampler *sp = &s->sampler;
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
  if ((r = prof__collector_start(s)) != 0)
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

int prof_start(const struct prof_options *opts) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
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
  } else if (r == 0 && (r = prof__open(s)) != 0) {
    prof__report_start_error(s, r);
    prof__quiesce(s);
    if (s->collector) {
      struct prof__collector_totals t;
      s->cfg.formats = 0; /* write nothing */
      prof__collector_finish(s, &t);
    }
  }
  if (r) {
    if (s)
      prof__release(s);
  } else {
    prof__session = s;
    pthread_once(&once, prof__register_atexit);
  }
  pthread_mutex_unlock(&prof__lock);
  return r;
}

static void prof__summary(const struct prof__session *s,
                          const struct prof__collector_totals *t, int err) {
  char line[5000];
  uint64_t taken = atomic_load(&prof__stats.taken);
  double secs = (double)t->weight_ns / 1e9;
  double achieved = secs > 0 ? (double)t->kept / secs : 0;
  uint64_t misuse =
      atomic_load(&prof__stats.unmatched) + atomic_load(&prof__stats.overflow) +
      atomic_load(&prof__stats.mismatched) +
      atomic_load(&prof__stats.bad_runtime);
  int n = snprintf(line, sizeof(line),
      "libprof: %llu samples (%llu kept, %llu dropped, %llu truncated, "
      "%llu unwind failures), %llu threads, %d Hz requested, %.0f Hz "
      "achieved per %s-second (%s)",
      (unsigned long long)taken, (unsigned long long)t->kept,
      (unsigned long long)atomic_load(&s->sampler.ring.dropped),
      (unsigned long long)atomic_load(&prof__stats.truncated),
      (unsigned long long)atomic_load(&prof__stats.unwind_failed),
      (unsigned long long)t->threads, s->cfg.hz, achieved,
      s->sampler.wall ? "thread" : "CPU", prof__mode_names[s->cfg.mode]);
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

/* fork(): the child has no collector thread and must never write the
 * parent's file, so it forgets the session (its memory is the parent's
 * copy; leaking it in the child is harmless). The lock is held across
 * fork so that the child never inherits it locked mid-start. */
static void prof__fork_prepare(void) { pthread_mutex_lock(&prof__lock); }
static void prof__fork_parent(void) { pthread_mutex_unlock(&prof__lock); }
static void prof__fork_child(void) {
  pthread_mutex_init(&prof__lock, NULL);
  atomic_store(&prof__active, NULL);
  atomic_store(&prof__handlers_running, 0);
  prof__session = NULL;
}

__attribute__((constructor)) static void prof__init(void) {
  pthread_atfork(prof__fork_prepare, prof__fork_parent, prof__fork_child);
  const char *out = secure_getenv("LIBPROF_OUT");
  if (out && out[0])
    prof_start(NULL);
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
