/* The thread registry and pthread_create interposition (see threads.h). */
#include "profiler/threads.h"
#include "base/forklock.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/grow.h"
#include "libprof.h"
#include "profiler/session.h"
#include "sigpath/thread.h"
#include "profiler/sigown.h"
#include "profiler/thread_names.h"
#include "profiler/trigger.h"

#define PROF__MAX_INTERNAL 16

struct prof__thr {
  pid_t tid;
  int muted;   /* never signalled again (it kept the RT signal blocked) */
  int foreign; /* found in /proc: may exit without our key destructor */
  struct prof__thread_trigger trig;
};

static struct {
  pthread_mutex_t mu;
  struct prof__trigger *trig; /* NULL: no session samples threads  */
  struct prof__thr *v;
  size_t n, cap;
  pid_t internal[PROF__MAX_INTERNAL];
  size_t ninternal;
} prof__reg = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* The running session's signal (0: none); read without the lock by
 * starting threads, which use it to unblock the signal, and by
 * pthread_create, to pass straight through when there is no session. */
static _Atomic int prof__reg_sig;
/* pthread_create calls passing straight through, not yet returned. */
static _Atomic int prof__creating_plain;

/* Set on libprof's own threads (collector, sampler). */
static __thread int prof__self_internal
    __attribute__((tls_model("initial-exec")));

/* Set by prof__threads_internal_begin on the creating thread. */
static __thread int prof__making_internal
    __attribute__((tls_model("initial-exec")));

/* Key values: a thread the wrapper started, or one of ours. */
#define PROF__KEY_SAMPLED ((void *)1)
#define PROF__KEY_INTERNAL ((void *)2)
static pthread_key_t prof__exit_key;
static int prof__have_key;
static pthread_once_t prof__key_once = PTHREAD_ONCE_INIT;

static pid_t prof__gettid(void) { return (pid_t)syscall(SYS_gettid); }

/* The registry lock on a host thread: with every signal blocked, so that
 * a handler of the program on this thread cannot call sigaction for the
 * sampling signal (which moves the trigger under this lock) while the
 * thread holds it. libprof's own threads run with signals blocked. */
static void prof__reg_lock(sigset_t *saved) {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, saved);
  pthread_mutex_lock(&prof__reg.mu);
}

static void prof__reg_unlock(const sigset_t *saved) {
  pthread_mutex_unlock(&prof__reg.mu);
  pthread_sigmask(SIG_SETMASK, saved, NULL);
}

static struct prof__thr *prof__reg_find(pid_t tid) {
  for (size_t i = 0; i < prof__reg.n; i++)
    if (prof__reg.v[i].tid == tid)
      return &prof__reg.v[i];
  return NULL;
}

static int prof__reg_is_internal(pid_t tid) {
  for (size_t i = 0; i < prof__reg.ninternal; i++)
    if (prof__reg.internal[i] == tid)
      return 1;
  return 0;
}

static void prof__reg_arm(struct prof__thr *e) {
  struct prof__trigger *t = prof__reg.trig;
  e->trig.fd = -1;
  e->trig.has_timer = 0;
  if (!t->per_thread || atomic_load(&t->disarmed))
    return;
  int r = prof__trigger_arm(t, e->tid, &e->trig);
  /* A thread that exited meanwhile is not a failure. */
  if (r != 0 && r != -ESRCH)
    atomic_fetch_add(&t->arm_failed, 1);
}

/* Adds (or, for a reused tid, replaces) tid's entry and arms it. Under
 * the lock, with a session attached. */
static void prof__reg_add(pid_t tid, int foreign) {
  struct prof__thr *e = prof__reg_find(tid);
  if (e) {
    prof__trigger_disarm(prof__reg.trig, &e->trig);
  } else {
    if (prof__grow((void **)&prof__reg.v, &prof__reg.cap, prof__reg.n + 1,
                   sizeof(*prof__reg.v)))
      return; /* not sampled; nothing else breaks */
    e = &prof__reg.v[prof__reg.n++];
  }
  e->tid = tid;
  e->muted = 0;
  e->foreign = foreign;
  prof__reg_arm(e);
}

static void prof__reg_remove(struct prof__thr *e) {
  prof__trigger_disarm(prof__reg.trig, &e->trig);
  *e = prof__reg.v[--prof__reg.n];
}

void prof__threads_attach(struct prof__trigger *t, int sig) {
  sigset_t saved;
  prof__reg_lock(&saved);
  prof__reg.trig = t;
  atomic_store(&prof__reg_sig, sig);
  /* Threads starting from now register themselves; those that started
   * before are in /proc/self/task by now (they were cloned before the
   * trigger was set above), once the creations that passed straight
   * through (no session when they began) have returned. */
  while (atomic_load(&prof__creating_plain) != 0)
    sched_yield();
  DIR *d = opendir("/proc/self/task");
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL) {
    pid_t tid = (pid_t)atoi(de->d_name);
    if (tid > 0 && !prof__reg_is_internal(tid) && !prof__reg_find(tid))
      prof__reg_add(tid, 1);
  }
  if (d)
    closedir(d);
  prof__reg_unlock(&saved);
}

void prof__threads_detach(void) {
  sigset_t saved;
  prof__reg_lock(&saved);
  atomic_store(&prof__reg_sig, 0);
  while (prof__reg.n > 0)
    prof__reg_remove(&prof__reg.v[prof__reg.n - 1]);
  prof__reg.trig = NULL;
  prof__reg_unlock(&saved);
}

size_t prof__threads_kill(int sig) {
  pid_t pid = getpid();
  size_t k = 0;
  /* Under the lock, so that a thread muted by prof__threads_exec_prepare
   * gets nothing once that returns. */
  pthread_mutex_lock(&prof__reg.mu);
  if (prof__reg.trig) /* moved by prof__threads_retarget meanwhile */
    sig = prof__reg.trig->sig;
  for (size_t i = 0; i < prof__reg.n; i++)
    if (!prof__reg.v[i].muted &&
        syscall(SYS_tgkill, pid, prof__reg.v[i].tid, sig) == 0)
      k++;
  pthread_mutex_unlock(&prof__reg.mu);
  return k;
}

void prof__threads_sweep(void) {
  pid_t pid = getpid();
  pthread_mutex_lock(&prof__reg.mu);
  for (size_t i = 0; i < prof__reg.n;) {
    if (prof__reg.v[i].foreign &&
        syscall(SYS_tgkill, pid, prof__reg.v[i].tid, 0) != 0 &&
        errno == ESRCH)
      prof__reg_remove(&prof__reg.v[i]); /* moves the last one here */
    else
      i++;
  }
  pthread_mutex_unlock(&prof__reg.mu);
}

void prof__threads_check_fds(void) {
  pthread_mutex_lock(&prof__reg.mu);
  for (size_t i = 0; i < prof__reg.n; i++)
    if (!prof__reg.v[i].muted)
      prof__trigger_check_fd(prof__reg.trig, prof__reg.v[i].tid,
                             &prof__reg.v[i].trig);
  pthread_mutex_unlock(&prof__reg.mu);
}

void prof__threads_disarm_all(void) {
  pthread_mutex_lock(&prof__reg.mu);
  for (size_t i = 0; i < prof__reg.n; i++) {
    prof__trigger_disarm(prof__reg.trig, &prof__reg.v[i].trig);
    prof__reg.v[i].muted = 1;
  }
  pthread_mutex_unlock(&prof__reg.mu);
}

void prof__threads_retarget(int from,
                             int (*decide)(struct prof__trigger *t)) {
  pthread_mutex_lock(&prof__reg.mu); /* signals already blocked */
  struct prof__trigger *t = prof__reg.trig;
  if (t && t->sig == from && !atomic_load(&t->disarmed)) {
    int keep = decide(t);
    atomic_store(&prof__reg_sig, keep ? t->sig : 0);
    /* Either way, when this loop ends no new instance of `from` comes
     * from us (pending ones are the caller's to discard): a perf event
     * sends the new signal or is closed (close waits for an overflow in
     * flight), a deleted timer fires no more, and the wall sampler sends
     * under this lock. */
    for (size_t i = 0; i < prof__reg.n; i++) {
      struct prof__thr *e = &prof__reg.v[i];
      if (keep && !e->muted) {
        int r = prof__trigger_resignal(t, e->tid, &e->trig);
        if (r != 0 && r != -ESRCH)
          atomic_fetch_add(&t->arm_failed, 1);
      } else {
        prof__trigger_disarm(t, &e->trig);
        e->muted = 1;
      }
    }
  }
  pthread_mutex_unlock(&prof__reg.mu);
}

/* 1 if sig is in the thread's blocked mask (SigBlk in its status). */
static int prof__tid_blocks(pid_t tid, int sig) {
  char path[64], buf[2048];
  snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  buf[n > 0 ? n : 0] = '\0';
  const char *p = strstr(buf, "SigBlk:");
  if (!p)
    return 0;
  unsigned long long mask = strtoull(p + 7, NULL, 16);
  return (mask >> (sig - 1)) & 1;
}

size_t prof__threads_mute_blocked(int sig) {
  size_t k = 0;
  pthread_mutex_lock(&prof__reg.mu);
  for (size_t i = 0; i < prof__reg.n; i++) {
    struct prof__thr *e = &prof__reg.v[i];
    if (!e->muted && prof__tid_blocks(e->tid, sig)) {
      prof__trigger_disarm(prof__reg.trig, &e->trig);
      e->muted = 1;
      k++;
    }
  }
  pthread_mutex_unlock(&prof__reg.mu);
  return k;
}

uint64_t prof__threads_internal_cpu_ns(void) {
  sigset_t saved;
  uint64_t sum = 0;
  prof__reg_lock(&saved);
  for (size_t i = 0; i < prof__reg.ninternal; i++) {
    struct timespec ts;
    if (clock_gettime(prof__tid_cpuclock(prof__reg.internal[i]), &ts) == 0)
      sum += (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
  }
  prof__reg_unlock(&saved);
  return sum;
}

/* ---- thread start and exit ------------------------------------------- */

/* Runs at the exit of every thread the wrapper started: return,
 * pthread_exit and cancellation all run key destructors. */
static void prof__thread_exit(void *v) {
  sigset_t saved;
  pid_t tid = prof__gettid();
  prof__reg_lock(&saved);
  if (v == PROF__KEY_INTERNAL) {
    for (size_t i = 0; i < prof__reg.ninternal; i++)
      if (prof__reg.internal[i] == tid)
        prof__reg.internal[i] = prof__reg.internal[--prof__reg.ninternal];
  } else if (prof__reg.trig) {
    struct prof__thr *e = prof__reg_find(tid);
    if (e)
      prof__reg_remove(e);
  }
  int sampled = v != PROF__KEY_INTERNAL && prof__reg.trig;
  prof__reg_unlock(&saved);
  if (sampled)
    prof__thread_names_note_exit();
}

static void prof__key_init(void) {
  prof__have_key = pthread_key_create(&prof__exit_key, prof__thread_exit) == 0;
}

/* A new host thread: unblock the sampling signal (it may have inherited a
 * mask that blocks it, and would then never be sampled), then register. */
static void prof__threads_enter(void) {
  sigset_t saved;
  int sig = atomic_load(&prof__reg_sig);
  if (sig) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
  }
  prof__thread_note_stack(); /* lets the handler memcpy this stack */
  prof__reg_lock(&saved);
  if (prof__reg.trig)
    prof__reg_add(prof__gettid(), 0);
  prof__reg_unlock(&saved);
}

struct prof__start {
  void *(*fn)(void *);
  void *arg;
  int internal;
  sem_t ready; /* internal: posted once the tid is recorded */
};

static void *prof__thread_main(void *p) {
  struct prof__start *st = p;
  void *(*fn)(void *) = st->fn;
  void *arg = st->arg;
  if (st->internal) {
    prof__self_internal = 1;
    pthread_mutex_lock(&prof__reg.mu);
    if (prof__reg.ninternal < PROF__MAX_INTERNAL)
      prof__reg.internal[prof__reg.ninternal++] = prof__gettid();
    pthread_mutex_unlock(&prof__reg.mu);
    if (prof__have_key)
      pthread_setspecific(prof__exit_key, PROF__KEY_INTERNAL);
    sem_post(&st->ready); /* st is the creator's and dies after this */
  } else {
    free(st);
    if (prof__have_key)
      pthread_setspecific(prof__exit_key, PROF__KEY_SAMPLED);
    prof__threads_enter();
  }
  return fn(arg);
}

typedef int (*prof__create_fn)(pthread_t *, const pthread_attr_t *,
                               void *(*)(void *), void *);

/* libc's pthread_create: the current version first, then the one programs
 * linked before glibc 2.34 bind to. */
static prof__create_fn prof__next_create(void) {
  static _Atomic(prof__create_fn) real;
  prof__create_fn f = atomic_load(&real);
  if (f)
    return f;
  f = (prof__create_fn)dlvsym(RTLD_NEXT, "pthread_create", "GLIBC_2.34");
  if (!f)
    f = (prof__create_fn)dlvsym(RTLD_NEXT, "pthread_create", "GLIBC_2.2.5");
  if (!f)
    f = (prof__create_fn)dlsym(RTLD_NEXT, "pthread_create");
  atomic_store(&real, f);
  return f;
}

/* ThreadSanitizer in the process (a TSan host, or a TSan build of
 * libprof): a thread must be started through TSan's pthread_create
 * interceptor, whose start routine sets the thread up before anything
 * else runs on it: even uninstrumented code calls intercepted functions
 * (free, pthread_mutex_lock), and those fault on a thread TSan does not
 * know. libtsan (gcc's and clang's) exports the interceptor as
 * __interceptor_pthread_create, and its presence is known at load.
 * libprof's own threads go through any sanitizer's interceptor (`any`):
 * ASan too keeps per-thread state, and a thread it never saw start
 * inherits the stale stack poisoning of an exited one (glibc reuses
 * thread stacks), which ASan then reports from libprof's code.
 *   - libprof first in the lookup order (preloaded before libtsan, or
 *     linked statically): the wrapper wraps the start routine as always
 *     and starts the thread through the interceptor, which calls libc, so
 *     TSan's start routine runs first and then the wrapper's.
 *   - libtsan first (a TSan program linking libprof.so, or
 *     LD_PRELOAD="libtsan.so libprof.so"): the host reaches the
 *     interceptor, which calls this wrapper as its "real" pthread_create
 *     with its own start routine; nothing may run before that, so the
 *     wrapper passes the call through and registers the new thread from
 *     the creating thread instead (its tid from pthread_getcpuclockid), as
 *     a thread found at start is. libprof's own threads still go through
 *     the interceptor, which comes back here and passes through. */
struct prof__tsan {
  _Atomic int known;     /* 0: not looked up yet                        */
  prof__create_fn any;    /* any sanitizer's interceptor, or NULL       */
  prof__create_fn create; /* the interceptor, or NULL: no TSan          */
  int first;              /* it precedes libprof in the lookup order    */
};
static struct prof__tsan prof__tsan;

static __typeof__(pthread_create) prof__self_create
    __attribute__((alias("pthread_create"), nothrow)); /* not the GOT's */

static const struct prof__tsan *prof__tsan_get(void) {
  if (!atomic_load(&prof__tsan.known)) {
    void *f = dlsym(RTLD_DEFAULT, "__interceptor_pthread_create");
    void *first = dlsym(RTLD_DEFAULT, "pthread_create");
    int tsan = f && dlsym(RTLD_DEFAULT, "__tsan_init");
    prof__tsan.any = (prof__create_fn)f;
    prof__tsan.create = tsan ? (prof__create_fn)f : NULL;
    prof__tsan.first = tsan && first != (void *)prof__self_create;
    atomic_store(&prof__tsan.known, 1);
  }
  return &prof__tsan;
}

/* Looked up at load, so that pthread_create itself never calls dlsym
 * (which allocates) when no session runs. */
__attribute__((constructor)) static void prof__create_init(void) {
  prof__tsan_get();
  prof__next_create();
}

static prof__create_fn prof__real_create(int internal) {
  const struct prof__tsan *t = prof__tsan_get();
  if (internal && t->any)
    return t->any;
  return t->create ? t->create : prof__next_create();
}

/* The pass-through of the second case above. */
static int prof__create_passed(pthread_t *th, const pthread_attr_t *attr,
                               void *(*fn)(void *), void *arg) {
  prof__create_fn next = prof__next_create();
  int r = next ? next(th, attr, fn, arg) : EAGAIN;
  clockid_t cid;
  if (r != 0 || prof__making_internal ||
      pthread_getcpuclockid(*th, &cid) != 0)
    return r;
  pid_t tid = (pid_t)~(cid >> 3); /* the kernel's MAKE_THREAD_CPUCLOCK */
  pthread_mutex_lock(&prof__reg.mu);
  if (prof__reg.trig && !prof__reg_find(tid))
    prof__reg_add(tid, 1);
  pthread_mutex_unlock(&prof__reg.mu);
  return r;
}

/* Set while a sanitizer's interceptor creates a thread for us: an
 * interceptor that resolved its "real" pthread_create to this wrapper
 * (ASan loaded after libprof, as a sanitized libprof's dependency) calls
 * back here, and the call must then go to libc, not round again. */
static __thread int prof__in_interceptor
    __attribute__((tls_model("initial-exec")));

static int prof__call_create(prof__create_fn real, pthread_t *th,
                             const pthread_attr_t *attr,
                             void *(*fn)(void *), void *arg) {
  int was = prof__in_interceptor;
  prof__in_interceptor = real != prof__next_create();
  int r = real(th, attr, fn, arg);
  prof__in_interceptor = was;
  return r;
}

/* Internal threads start with every signal blocked, and the creator waits
 * until the new tid is recorded, so that a session starting right after
 * never arms or signals it. */
static int prof__spawn_internal(prof__create_fn real, pthread_t *th,
                                const pthread_attr_t *attr,
                                void *(*fn)(void *), void *arg) {
  struct prof__start st = {fn, arg, 1, {{0}}};
  sigset_t all, old;
  sem_init(&st.ready, 0, 0);
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int was = prof__making_internal;
  prof__making_internal = 1; /* TSan may hand it back to the wrapper */
  int r = prof__call_create(real, th, attr, prof__thread_main, &st);
  prof__making_internal = was;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  while (r == 0 && sem_wait(&st.ready) != 0 && errno == EINTR)
    ;
  sem_destroy(&st.ready);
  return r;
}

static int prof__spawn(pthread_t *th, const pthread_attr_t *attr,
                       void *(*fn)(void *), void *arg, int internal) {
  prof__create_fn real = prof__real_create(internal);
  if (!real)
    return EAGAIN;
  pthread_once(&prof__key_once, prof__key_init);
  if (internal)
    return prof__spawn_internal(real, th, attr, fn, arg);
  struct prof__start *st = malloc(sizeof(*st));
  if (!st) /* unwrapped: runs, and is sampled if it exists at a start */
    return prof__call_create(real, th, attr, fn, arg);
  st->fn = fn;
  st->arg = arg;
  st->internal = 0;
  int r = prof__call_create(real, th, attr, prof__thread_main, st);
  if (r != 0)
    free(st);
  return r;
}

/* Without a session, a program's thread is created as if libprof were
 * not there: no allocation, no wrapper (README, "What linking does"). A
 * session that starts later finds it in /proc/self/task; the count lets
 * prof__threads_attach wait for creations that decided this before it
 * armed anything and had not cloned yet. */
static int prof__create_plain(pthread_t *th, const pthread_attr_t *attr,
                              void *(*fn)(void *), void *arg) {
  prof__create_fn real = prof__real_create(0);
  int r = real ? prof__call_create(real, th, attr, fn, arg) : EAGAIN;
  atomic_fetch_sub(&prof__creating_plain, 1);
  return r;
}

/* Interposes libc's pthread_create (see threads.h). */
PROF_EXTERN int pthread_create(pthread_t *restrict th,
                               const pthread_attr_t *restrict attr,
                               void *(*fn)(void *), void *restrict arg) {
  if (prof__in_interceptor) { /* our own call, back from the interceptor */
    prof__create_fn libc = prof__next_create();
    return libc ? libc(th, attr, fn, arg) : EAGAIN;
  }
  if (prof__tsan_get()->first) /* the interceptor came first: it called us */
    return prof__create_passed(th, attr, fn, arg);
  if (!prof__making_internal) {
    atomic_fetch_add(&prof__creating_plain, 1);
    if (atomic_load(&prof__reg_sig) == 0)
      return prof__create_plain(th, attr, fn, arg);
    atomic_fetch_sub(&prof__creating_plain, 1);
  }
  return prof__spawn(th, attr, fn, arg, prof__making_internal);
}

int prof__thread_create_internal(pthread_t *th, void *(*fn)(void *),
                                 void *arg) {
  return prof__spawn(th, NULL, fn, arg, 1);
}

void prof__threads_internal_begin(void) { prof__making_internal = 1; }
void prof__threads_internal_end(void) { prof__making_internal = 0; }

/* ---- exec ------------------------------------------------------------- */

/* Passing the signal through SIG_IGN discards its pending instances. */
static void prof__flush_pending(int sig) {
  struct sigaction cur, ign;
  if (prof__sys_sigaction(sig, NULL, &cur) != 0 ||
      !prof__handler_is_ours(&cur))
    return; /* the program owns the signal now */
  memset(&ign, 0, sizeof(ign));
  ign.sa_handler = SIG_IGN;
  prof__sys_sigaction(sig, &ign, NULL);
  prof__sys_sigaction(sig, &cur, NULL);
}

int prof__threads_exec_prepare(void) {
  sigset_t saved;
  struct prof__sampler *sp = atomic_load(&prof__active);
  /* A vfork child shares our memory but is another process: hands off. */
  if (!sp || sp->pid != getpid())
    return 0;
  prof__reg_lock(&saved);
  struct prof__trigger *t = prof__reg.trig;
  struct prof__thr *e = t ? prof__reg_find(prof__gettid()) : NULL;
  if (e) {
    prof__trigger_disarm(t, &e->trig); /* waits out a signal in flight */
    e->muted = 1;
  }
  if (t)
    prof__trigger_exec_pause(t, 1);
  int sig = t ? t->sig : 0;
  prof__reg_unlock(&saved);
  if (sig)
    prof__flush_pending(sig);
  return sig != 0;
}

void prof__threads_exec_undo(void) {
  sigset_t saved;
  prof__reg_lock(&saved);
  struct prof__trigger *t = prof__reg.trig;
  struct prof__thr *e = t ? prof__reg_find(prof__gettid()) : NULL;
  if (e) {
    prof__reg_arm(e);
    e->muted = 0;
  }
  if (t)
    prof__trigger_exec_pause(t, 0);
  prof__reg_unlock(&saved);
}

/* ---- fork ------------------------------------------------------------- */

int prof__threads_self_internal(void) { return prof__self_internal; }

void prof__threads_fork_prepare(void) {
  pthread_mutex_lock(&prof__reg.mu);
  prof__thread_names_fork_prepare();
}

void prof__threads_fork_parent(void) {
  prof__thread_names_fork_parent();
  pthread_mutex_unlock(&prof__reg.mu);
}

/* The child's copies of the perf fds watch the parent's threads: close
 * them (never ioctl them beyond the identity check: the event is shared
 * with the parent), but only those that are still ours. POSIX timers are
 * not inherited, so their ids mean nothing here. Only AS-safe calls: a
 * _Fork child runs this too. */
void prof__threads_fork_child(int held) {
  prof__fork_relock(&prof__reg.mu, held);
  prof__thread_names_fork_child(held);
  for (size_t i = 0; i < prof__reg.n; i++)
    if (prof__reg.v[i].trig.fd >= 0)
      prof__perf_disarm(prof__reg.v[i].trig.fd, prof__reg.v[i].trig.perf_id);
  prof__reg.n = 0;
  prof__reg.ninternal = 0;
  prof__reg.trig = NULL;
  atomic_store(&prof__reg_sig, 0);
}
