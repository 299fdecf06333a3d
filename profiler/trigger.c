/* Trigger dispatch: picks the mode in effect, arms every thread through
 * the registry, runs the sampler/monitor thread, and reports honestly
 * what was achieved (see trigger.h). */
#include "profiler/trigger.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "profiler/sigown.h"
#include "profiler/threads.h"

int prof__trigger_handler_ours(int sig) {
  struct sigaction sa;
  if (prof__sys_sigaction(sig, NULL, &sa) != 0)
    return 0;
  return prof__handler_is_ours(&sa);
}

/* A signal with the default disposition that this thread does not block
 * (a blocked SIG_DFL signal is likely consumed with sigwait or signalfd).
 * From the top down: libraries that take real-time signals usually take
 * them from SIGRTMIN up. */
int prof__trigger_free_signal(int avoid, const sigset_t *mask) {
  sigset_t cur;
  if (mask)
    cur = *mask;
  else
    pthread_sigmask(SIG_SETMASK, NULL, &cur);
  for (int sig = SIGRTMAX; sig >= SIGRTMIN; sig--) {
    struct sigaction sa;
    if (sig == avoid || sigismember(&cur, sig) ||
        prof__sys_sigaction(sig, NULL, &sa) != 0)
      continue;
    if (!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_DFL)
      return sig;
  }
  return -1;
}

/* Tells the handler whether a descriptor number is one of our events,
 * whose period it may redraw (sigpath/jitter.c). */
static void prof__trigger_mark(struct prof__trigger *t, int fd,
                               unsigned char ours) {
  if (fd >= 0 && fd < PROF__PERF_FDS)
    atomic_store(&t->session->sampler.perf_fd[fd], ours);
}

int prof__trigger_arm(struct prof__trigger *t, pid_t tid,
                      struct prof__thread_trigger *h) {
  h->fd = -1;
  h->has_timer = 0;
  if (t->mode == PROF__MODE_CPU) {
    int r = prof__perf_arm(tid, t->sig, t->period_ns, &h->fd, &h->perf_id);
    prof__trigger_mark(t, h->fd, 1);
    /* Out of descriptors: this thread gets a CPU-clock timer instead,
     * which costs no fd (at the tick-limited rate). */
    if (r != -EMFILE && r != -ENFILE)
      return r;
  }
  if (t->mode == PROF__MODE_CPU || t->mode == PROF__MODE_TIMER) {
    int r = prof__ptimer_arm(tid, t->sig, t->period_ns, &h->timer);
    h->has_timer = r == 0;
    return r;
  }
  return 0;
}

static void prof__trigger_note_lost(struct prof__trigger *t) {
  uint64_t none = 0;
  if (!t)
    return;
  atomic_fetch_add(&t->fd_lost, 1);
  atomic_compare_exchange_strong(&t->fd_lost_ns, &none,
                                 prof__now_ns(CLOCK_MONOTONIC));
}

void prof__trigger_check_fd(struct prof__trigger *t, pid_t tid,
                            struct prof__thread_trigger *h) {
  if (h->fd < 0 || prof__perf_owned(h->fd, h->perf_id))
    return;
  prof__trigger_mark(t, h->fd, 0);
  h->fd = -1; /* the number is the program's now: never touch it again */
  prof__trigger_note_lost(t);
  if (!h->has_timer &&
      prof__ptimer_arm(tid, t->sig, t->period_ns, &h->timer) == 0) {
    h->has_timer = 1;
    atomic_fetch_add(&t->fd_timer, 1);
  }
}

void prof__trigger_disarm(struct prof__trigger *t,
                          struct prof__thread_trigger *h) {
  prof__trigger_mark(t, h->fd, 0);
  /* Not ours any more: the program closed it before the monitor saw. */
  if (h->fd >= 0 && prof__perf_disarm(h->fd, h->perf_id) != 0)
    prof__trigger_note_lost(t);
  if (h->has_timer)
    prof__ptimer_disarm(h->timer);
  h->fd = -1;
  h->has_timer = 0;
}

/* Every cgo program exports this (runtime/cgo); pure Go programs are
 * static and never load libprof. */
int prof__trigger_is_go(void) {
  return dlsym(RTLD_DEFAULT, "_cgo_get_context_function") != NULL;
}

int prof__trigger_resignal(struct prof__trigger *t, pid_t tid,
                           struct prof__thread_trigger *h) {
  if (h->fd >= 0)
    return prof__perf_resignal(h->fd, tid, t->sig);
  if (h->has_timer) { /* a timer's signal is fixed at creation */
    prof__ptimer_disarm(h->timer);
    h->has_timer = 0;
  }
  return prof__trigger_arm(t, tid, h); /* nothing to do in wall mode */
}

static int prof__itimer_set(uint64_t period_ns) {
  struct itimerval it;
  uint64_t us = period_ns / 1000;
  if (period_ns && us == 0)
    us = 1;
  it.it_interval.tv_sec = (time_t)(us / 1000000);
  it.it_interval.tv_usec = (suseconds_t)(us % 1000000);
  it.it_value = it.it_interval;
  return setitimer(ITIMER_PROF, &it, NULL);
}

/* Disarms ITIMER_PROF only if it still runs at our interval: the program
 * may have armed its own since (it owns the timer then). */
static void prof__itimer_release(struct prof__trigger *t) {
  struct itimerval cur;
  if (getitimer(ITIMER_PROF, &cur) != 0)
    return;
  if (cur.it_interval.tv_sec == t->itimer.it_interval.tv_sec &&
      cur.it_interval.tv_usec == t->itimer.it_interval.tv_usec)
    prof__itimer_set(0);
}

void prof__trigger_exec_pause(struct prof__trigger *t, int pause) {
  if (t->mode != PROF__MODE_ITIMER || atomic_load(&t->disarmed))
    return;
  if (pause)
    prof__itimer_release(t);
  else
    prof__itimer_set(t->period_ns);
}

static int prof__itimer_start(struct prof__session *s) {
  struct prof__trigger *t = s->trigger;
  if (t->sig != SIGPROF) {
    snprintf(s->mode_note, sizeof(s->mode_note),
             "mode itimer can only sample with SIGPROF (ITIMER_PROF sends "
             "it), not signal %d",
             t->sig);
    return PROF_ETRIGGER;
  }
  if (prof__itimer_set(t->period_ns) != 0) {
    snprintf(s->mode_note, sizeof(s->mode_note), "setitimer: %s",
             strerror(errno));
    return PROF_ETRIGGER;
  }
  getitimer(ITIMER_PROF, &t->itimer);
  return 0;
}

/* Creates and drops a trigger for the calling thread, so that a kernel
 * without perf events (or one that forbids them) is found before any
 * thread is armed. */
static int prof__probe(struct prof__trigger *t) {
  struct prof__thread_trigger h;
  int r = prof__trigger_arm(t, (pid_t)syscall(SYS_gettid), &h);
  if (r == 0)
    prof__trigger_disarm(t, &h);
  return r;
}

static int prof__choose_mode(struct prof__session *s) {
  struct prof__trigger *t = s->trigger;
  int r = 0;
  t->per_thread = t->mode == PROF__MODE_CPU || t->mode == PROF__MODE_TIMER;
  if (t->mode == PROF__MODE_CPU && (r = prof__probe(t)) != 0) {
    snprintf(s->mode_note, sizeof(s->mode_note),
             "perf_event_open failed (%s): fell back to mode timer",
             strerror(-r));
    t->mode = PROF__MODE_TIMER;
  }
  if (t->mode == PROF__MODE_TIMER && (r = prof__probe(t)) != 0) {
    snprintf(s->mode_note, sizeof(s->mode_note),
             "timer_create(CLOCK_THREAD_CPUTIME_ID) failed: %s",
             strerror(-r));
    return PROF_ETRIGGER;
  }
  return 0;
}

int prof__trigger_start(struct prof__session *s) {
  struct prof__trigger *t = calloc(1, sizeof(*t));
  if (!t)
    return PROF_ENOMEM;
  s->trigger = t;
  t->session = s;
  t->mode = s->cfg.mode;
  t->sig = s->cfg.signal;
  t->period_ns = s->sampler.period_ns;
  atomic_store(&s->sampler.jitter, s->cfg.jitter);
  t->start_proc_cpu_ns = prof__now_ns(CLOCK_PROCESS_CPUTIME_ID);
  t->go = prof__trigger_is_go(); /* here: dlsym is not AS-safe */
  int r = prof__choose_mode(s);
  if (r == 0 && t->mode == PROF__MODE_ITIMER)
    r = prof__itimer_start(s);
  if (r != 0)
    return r;
  prof__threads_attach(t, t->sig);
  if ((r = prof__sampler_start(s)) != 0) {
    snprintf(s->mode_note, sizeof(s->mode_note),
             "cannot create the sampler thread: %s", strerror(r));
    return PROF_ETRIGGER;
  }
  return 0;
}

void prof__handlers_wait(void) {
  while (atomic_load(&prof__handlers_running) != 0) {
    struct timespec ts = {0, 50 * 1000};
    nanosleep(&ts, NULL);
  }
}

/* Before the triggers are released: a handler still redrawing a period
 * (sigpath/jitter.c) would otherwise reach a descriptor number after we
 * closed it (maybe the program's file by then), or re-arm ITIMER_PROF
 * after we stopped it. Handlers that start after the store see it. */
static void prof__jitter_off(struct prof__session *s) {
  atomic_store(&s->sampler.jitter, 0);
  prof__handlers_wait();
}

void prof__trigger_stop(struct prof__session *s) {
  struct prof__trigger *t = s->trigger;
  if (!t || t->stopped)
    return;
  t->stopped = 1;
  /* Checked here, while our handler should still be installed. */
  t->replaced_at_stop = !prof__trigger_handler_ours(t->sig);
  /* The program's CPU time: the process's, less libprof's own threads,
   * measured before the sampler thread goes away. */
  uint64_t proc = prof__now_ns(CLOCK_PROCESS_CPUTIME_ID);
  t->internal_cpu_ns = prof__threads_internal_cpu_ns();
  uint64_t used = proc - t->start_proc_cpu_ns;
  t->prog_cpu_ns = used > t->internal_cpu_ns ? used - t->internal_cpu_ns : 0;
  prof__sampler_stop(t); /* sets t->stopping; no tgkill after this */
  prof__jitter_off(s);
  if (t->mode == PROF__MODE_ITIMER && !atomic_load(&t->disarmed))
    prof__itimer_release(t);
  prof__threads_detach();
}

void prof__trigger_free(struct prof__session *s) {
  free(s->trigger);
  s->trigger = NULL;
}

void prof__trigger_on_replaced(struct prof__session *s) {
  struct prof__trigger *t = s->trigger;
  if (atomic_exchange(&t->disarmed, 1))
    return;
  t->replaced_after_ns = prof__now_ns(CLOCK_MONOTONIC) - s->start_mono_ns;
  prof__jitter_off(s);
  prof__threads_disarm_all();
  if (t->mode == PROF__MODE_ITIMER)
    prof__itimer_release(t);
}

/* Why sampling stopped, for the line said at once and the summary. */
static const char *prof__stop_reason(const struct prof__trigger *t) {
  return t->go ? " (the Go runtime takes every signal); Go programs are "
                 "profiled through the libprof Go package (docs/go.md)"
               : " and no real-time signal is free (a runtime that takes "
                 "every signal does that; Go programs are profiled through "
                 "the libprof Go package (docs/go.md))";
}

/* Said at once, not only in the summary: such runtimes (Go) usually end
 * with a raw exit_group, so no summary is ever written. No stdio: this
 * runs inside the program's sigaction call. */
static void prof__say_stopped(const struct prof__trigger *t) {
  char line[400] = "libprof: SAMPLES STOPPED: the program took signal ";
  size_t n = strlen(line);
  if (t->taken_sig >= 10)
    line[n++] = (char)('0' + t->taken_sig / 10);
  line[n++] = (char)('0' + t->taken_sig % 10);
  line[n] = '\0';
  strcat(line, prof__stop_reason(t));
  strcat(line, "\n");
  prof__log_write(&t->session->log, line);
}

/* prof__threads_retarget's decision when the program took t->sig: a free
 * real-time signal, claimed now with our handler; itimer, whose
 * ITIMER_PROF can only send SIGPROF, becomes per-thread CPU timers on it.
 * None free: sampling stops. Only syscalls and plain stores: this runs
 * inside the program's sigaction call, possibly in its signal handler. */
static int prof__move(struct prof__trigger *t) {
  struct sigaction sa;
  prof__handler_action(&sa);
  t->taken_sig = t->sig;
  t->taken_after_ns =
      prof__now_ns(CLOCK_MONOTONIC) - t->session->start_mono_ns;
  if (t->mode == PROF__MODE_ITIMER)
    prof__itimer_release(t);
  int alt = t->go ? -1
                  : prof__trigger_free_signal(t->sig,
                                              &prof__sigown_caller_mask);
  if (alt < 0 || prof__sigown_claim_locked(alt, PROF__ROLE_SAMPLING, &sa)) {
    t->moved_to = -1;
    atomic_store(&t->disarmed, 1);
    prof__say_stopped(t);
    return 0;
  }
  if (t->mode == PROF__MODE_ITIMER) {
    t->mode = PROF__MODE_TIMER;
    t->per_thread = 1;
    t->from_itimer = 1;
  }
  t->moved_to = alt;
  t->sig = alt;
  t->session->cfg.signal = alt;
  return 1;
}

void prof__trigger_taken(int sig) { prof__threads_retarget(sig, prof__move); }

/* snprintf at buf + *n that never runs past len. */
__attribute__((format(printf, 4, 5))) static void
prof__appendf(char *buf, size_t len, size_t *n, const char *fmt, ...) {
  va_list ap;
  if (*n + 1 >= len)
    return;
  va_start(ap, fmt);
  int k = vsnprintf(buf + *n, len - *n, fmt, ap);
  va_end(ap);
  if (k > 0)
    *n = *n + (size_t)k < len ? *n + (size_t)k : len - 1;
}

/* Why the achieved rate may be lower than asked. */
static const char *prof__rate_limit(const struct prof__trigger *t) {
  switch (atomic_load(&t->mode)) {
  case PROF__MODE_TIMER:
    return "POSIX CPU timers fire at most once per kernel tick";
  case PROF__MODE_ITIMER:
    return "ITIMER_PROF fires at most once per kernel tick";
  case PROF__MODE_CPU:
    if (atomic_load(&t->fd_timer)) /* the fallback of a lost descriptor */
      return "threads moved to CPU-clock timers are signalled at most "
             "once per kernel tick";
    return "periods that end in the kernel are not signalled "
           "(exclude_kernel); their time is in the next sample's weight";
  default:
    return "the sampler thread fell behind (missed ticks are skipped)";
  }
}

static void prof__coverage(const struct prof__session *s, uint64_t weight_ns,
                           char *buf, size_t len, size_t *n) {
  const struct prof__trigger *t = s->trigger;
  if (!t || s->sampler.wall || t->prog_cpu_ns < 10000000u)
    return;
  double cov = 100.0 * (double)weight_ns / (double)t->prog_cpu_ns;
  prof__appendf(buf, len, n,
                ", samples cover %.0f%% of the program's %.2f s CPU time%s",
                cov, (double)t->prog_cpu_ns / 1e9,
                cov < 80 ? " (threads that blocked the signal or could not "
                           "be armed were not sampled)"
                         : "");
}

static void prof__taken(const struct prof__trigger *t, char *buf,
                        size_t len, size_t *n) {
  double at = (double)t->taken_after_ns / 1e9;
  if (t->moved_to > 0)
    prof__appendf(buf, len, n,
                  "; signal %d taken by the program after %.1f s: sampling "
                  "moved to signal %d (SIGRTMIN+%d)%s",
                  t->taken_sig, at, t->moved_to, t->moved_to - SIGRTMIN,
                  t->from_itimer ? ", mode timer instead of itimer" : "");
  else
    prof__appendf(buf, len, n,
                  "; SAMPLES STOPPED after %.1f s: the program took signal "
                  "%d%s",
                  at, t->taken_sig, prof__stop_reason(t));
}

static void prof__faults(const struct prof__session *s, char *buf,
                         size_t len, size_t *n) {
  const struct prof__trigger *t = s->trigger;
  if (t->moved_to)
    prof__taken(t, buf, len, n);
  /* moved_to < 0 (stopped for lack of a signal) was said above. */
  int raw = atomic_load(&t->disarmed) || t->replaced_at_stop;
  if (t->moved_to >= 0 && raw) {
    uint64_t at = t->replaced_after_ns ? t->replaced_after_ns
                                       : s->stop_mono_ns - s->start_mono_ns;
    prof__appendf(buf, len, n,
                  "; SAMPLES STOPPED %s %.1f s: the program installed its "
                  "own handler for signal %d",
                  t->replaced_after_ns ? "after" : "before", (double)at / 1e9,
                  t->sig);
  }
  if (atomic_load(&t->fd_lost)) {
    uint64_t lost = atomic_load(&t->fd_lost), timer = atomic_load(&t->fd_timer);
    uint64_t at = atomic_load(&t->fd_lost_ns) - s->start_mono_ns;
    prof__appendf(buf, len, n,
                  "; the program closed libprof's perf descriptor of %llu "
                  "threads (first seen after %.1f s): %llu sampled by a "
                  "CPU-clock timer since",
                  (unsigned long long)lost, (double)at / 1e9,
                  (unsigned long long)timer);
    if (lost > timer) /* they exited, or the timer failed, before a check */
      prof__appendf(buf, len, n, ", SAMPLES STOPPED on %llu",
                    (unsigned long long)(lost - timer));
  }
  if (atomic_load(&t->arm_failed))
    prof__appendf(buf, len, n, "; %llu threads could not be armed",
                  (unsigned long long)atomic_load(&t->arm_failed));
  if (atomic_load(&t->blocked))
    prof__appendf(buf, len, n,
                  "; %llu threads kept signal %d blocked and were muted",
                  (unsigned long long)atomic_load(&t->blocked), t->sig);
}

int prof__trigger_summary(const struct prof__session *s, uint64_t samples,
                          uint64_t weight_ns, char *buf, size_t len) {
  const struct prof__trigger *t = s->trigger;
  enum prof__mode mode = t ? t->mode : s->cfg.mode;
  double secs = (double)weight_ns / 1e9;
  double achieved = secs > 0 ? (double)samples / secs : 0;
  size_t n = 0;
  if (len == 0)
    return 0;
  buf[0] = '\0';
  prof__appendf(buf, len, &n,
                "%d Hz requested, %.0f Hz achieved per %s-second (%s",
                s->cfg.hz, achieved, s->sampler.wall ? "thread" : "CPU",
                prof__mode_names[mode]);
  if (s->cfg.signal != SIGPROF && !(t && t->moved_to))
    prof__appendf(buf, len, &n, ", signal %d", s->cfg.signal);
  prof__appendf(buf, len, &n, ")");
  if (!t)
    return (int)n;
  if (samples >= 20 && achieved < 0.8 * s->cfg.hz)
    prof__appendf(buf, len, &n, " (below the request: %s)",
                  prof__rate_limit(t));
  prof__coverage(s, weight_ns, buf, len, &n);
  prof__faults(s, buf, len, &n);
  return (int)n;
}
