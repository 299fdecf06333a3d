/* Signal ownership: libprof's definitions of the libc calls that install
 * a signal disposition (see sigown.h and docs/sampling.md). */
#include "profiler/sigown.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "libprof.h"

typedef int (*prof__sigaction_fn)(int, const struct sigaction *,
                                  struct sigaction *);

static prof__sigaction_fn prof__real_sigaction;

/* Per signal: the role, read lock-free by the interposed calls (an
 * unclaimed signal costs one load), and the program's wish. */
static _Atomic unsigned char prof__role[NSIG];
static struct sigaction prof__want[NSIG]; /* under prof__own_mu */
static void *prof__ours[NSIG];            /* our handler, per claim */
/* Taken with every signal blocked, so a handler on the holding thread can
 * never re-enter it; never held across anything that waits for a host
 * thread. Order: session lock, then this, then the thread registry. */
static pthread_mutex_t prof__own_mu = PTHREAD_MUTEX_INITIALIZER;
/* The process the table describes. A vfork child shares our memory but
 * has its own dispositions: its calls pass straight through. */
static pid_t prof__own_pid;
sigset_t prof__sigown_caller_mask;

static void prof__own_child(void) {
  pthread_mutex_init(&prof__own_mu, NULL);
  prof__own_pid = getpid();
}

__attribute__((constructor)) static void prof__sigown_init(void) {
  if (!prof__real_sigaction)
    prof__real_sigaction = (prof__sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
  prof__own_pid = getpid();
  pthread_atfork(NULL, NULL, prof__own_child);
}

int prof__sys_sigaction(int sig, const struct sigaction *sa,
                        struct sigaction *old) {
  if (!prof__real_sigaction) /* called before our constructor ran */
    prof__sigown_init();
  if (!prof__real_sigaction) {
    errno = ENOSYS;
    return -1;
  }
  return prof__real_sigaction(sig, sa, old);
}

int prof__sigown_role(int sig) {
  return sig > 0 && sig < NSIG ? atomic_load(&prof__role[sig]) : 0;
}

/* Callers are libprof's session code, or the program's calls for a
 * claimed signal in the process the table describes. In a fork child the
 * session's atfork handler may come before prof__own_child: the lock may
 * have been copied held, and only this thread exists yet. */
static void prof__own_lock(sigset_t *saved) {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, saved);
  if (prof__own_pid != getpid())
    prof__own_child();
  pthread_mutex_lock(&prof__own_mu);
}

static void prof__own_unlock(const sigset_t *saved) {
  pthread_mutex_unlock(&prof__own_mu);
  pthread_sigmask(SIG_SETMASK, saved, NULL);
}

int prof__sigown_view(int sig, struct sigaction *out) {
  sigset_t saved;
  int r = 0;
  prof__own_lock(&saved);
  if (prof__sigown_role(sig))
    *out = prof__want[sig];
  else
    r = prof__sys_sigaction(sig, NULL, out);
  prof__own_unlock(&saved);
  return r;
}

int prof__sigown_claim_locked(int sig, int role,
                              const struct sigaction *ours) {
  if (sig <= 0 || sig >= NSIG)
    return -EINVAL;
  if (!prof__sigown_role(sig) &&
      prof__sys_sigaction(sig, NULL, &prof__want[sig]) != 0)
    return -errno;
  if (prof__sys_sigaction(sig, ours, NULL) != 0)
    return -errno;
  prof__own_pid = getpid();
  prof__ours[sig] = (void *)ours->sa_sigaction;
  atomic_store(&prof__role[sig], (unsigned char)role);
  return 0;
}

int prof__sigown_claim(int sig, int role, const struct sigaction *ours) {
  sigset_t saved;
  prof__own_lock(&saved);
  int r = prof__sigown_claim_locked(sig, role, ours);
  prof__own_unlock(&saved);
  return r;
}

/* The kernel gets the program's want; a sampling signal first passes
 * through SIG_IGN, which discards instances our trigger left pending in
 * any thread (they must not reach the program's handler, nor kill it
 * through SIG_DFL). Under the lock. */
static int prof__give_back(int sig, int flush) {
  atomic_store(&prof__role[sig], PROF__ROLE_NONE);
  if (flush) {
    struct sigaction ign;
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    prof__sys_sigaction(sig, &ign, NULL);
  }
  return prof__sys_sigaction(sig, &prof__want[sig], NULL);
}

/* A program that installed its handler with a raw rt_sigaction system
 * call (nothing we could see) keeps it: only our handler is replaced. */
void prof__sigown_release(int sig) {
  sigset_t saved;
  struct sigaction cur;
  prof__own_lock(&saved);
  int role = prof__sigown_role(sig);
  if (role && prof__sys_sigaction(sig, NULL, &cur) == 0 &&
      (cur.sa_flags & SA_SIGINFO) &&
      (void *)cur.sa_sigaction == prof__ours[sig])
    prof__give_back(sig, role == PROF__ROLE_SAMPLING);
  else
    atomic_store(&prof__role[sig], PROF__ROLE_NONE);
  prof__own_unlock(&saved);
}

static int prof__is_default(const struct sigaction *sa) {
  return !(sa->sa_flags & SA_SIGINFO) && sa->sa_handler == SIG_DFL;
}

/* sigaction for a claimed signal. The program's new disposition is its
 * want; what the kernel gets depends on the role (sigown.h). */
static int prof__own_set(int sig, const struct sigaction *act,
                         struct sigaction *old) {
  sigset_t saved;
  int r = 0;
  prof__own_lock(&saved);
  int role = prof__sigown_role(sig);
  if (!role) { /* released meanwhile */
    prof__own_unlock(&saved);
    return prof__sys_sigaction(sig, act, old);
  }
  struct sigaction prev = prof__want[sig];
  if (act) {
    prof__want[sig] = *act;
    if (role == PROF__ROLE_SAMPLING) {
      prof__sigown_caller_mask = saved;
      prof__trigger_taken(sig); /* moves or stops the trigger first */
      r = prof__give_back(sig, 1);
    } else if (!prof__is_default(act)) {
      r = prof__give_back(sig, 0);
    }
  }
  int e = errno;
  prof__own_unlock(&saved);
  if (r == 0 && old)
    *old = prev;
  errno = e;
  return r;
}

static int prof__managed(int sig) {
  return prof__sigown_role(sig) && getpid() == prof__own_pid;
}

PROF_EXTERN int sigaction(int sig, const struct sigaction *restrict act,
                          struct sigaction *restrict old) {
  if (!prof__managed(sig))
    return prof__sys_sigaction(sig, act, old);
  return prof__own_set(sig, act, old);
}

/* glibc exports these without declaring them by default. */
PROF_EXTERN int __sigaction(int sig, const struct sigaction *act,
                            struct sigaction *old);
PROF_EXTERN sighandler_t bsd_signal(int sig, sighandler_t h);

PROF_EXTERN int __sigaction(int sig, const struct sigaction *act,
                            struct sigaction *old) {
  return sigaction(sig, act, old);
}

/* signal() and friends through our sigaction, with the flags glibc uses
 * for each (BSD: restart and mask the signal; System V: one-shot). */
static sighandler_t prof__signal_with(int sig, sighandler_t h, int flags) {
  struct sigaction sa, old;
  if (h == SIG_ERR || sig <= 0 || sig >= NSIG) {
    errno = EINVAL;
    return SIG_ERR;
  }
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = h;
  sigemptyset(&sa.sa_mask);
  if (!(flags & SA_NODEFER))
    sigaddset(&sa.sa_mask, sig);
  sa.sa_flags = flags;
  if (sigaction(sig, &sa, &old) < 0)
    return SIG_ERR;
  return old.sa_handler;
}

PROF_EXTERN sighandler_t signal(int sig, sighandler_t h) {
  return prof__signal_with(sig, h, SA_RESTART);
}

PROF_EXTERN sighandler_t bsd_signal(int sig, sighandler_t h) {
  return prof__signal_with(sig, h, SA_RESTART);
}

PROF_EXTERN sighandler_t ssignal(int sig, sighandler_t h) {
  return prof__signal_with(sig, h, SA_RESTART);
}

PROF_EXTERN sighandler_t sysv_signal(int sig, sighandler_t h) {
  return prof__signal_with(sig, h, SA_RESETHAND | SA_NODEFER);
}

PROF_EXTERN sighandler_t __sysv_signal(int sig, sighandler_t h) {
  return sysv_signal(sig, h);
}

/* System V sigset: SIG_HOLD blocks; anything else installs (no flags,
 * empty mask) and unblocks. Returns SIG_HOLD if the signal was blocked. */
PROF_EXTERN sighandler_t sigset(int sig, sighandler_t h) {
  sigset_t one, prev;
  struct sigaction sa, old;
  if (sig <= 0 || sig >= NSIG || h == SIG_ERR) {
    errno = EINVAL;
    return SIG_ERR;
  }
  sigemptyset(&one);
  sigaddset(&one, sig);
  if (h == SIG_HOLD) {
    if (sigaction(sig, NULL, &old) < 0 ||
        pthread_sigmask(SIG_BLOCK, &one, &prev) != 0)
      return SIG_ERR;
    return sigismember(&prev, sig) ? SIG_HOLD : old.sa_handler;
  }
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = h;
  sigemptyset(&sa.sa_mask);
  if (sigaction(sig, &sa, &old) < 0 ||
      pthread_sigmask(SIG_UNBLOCK, &one, &prev) != 0)
    return SIG_ERR;
  return sigismember(&prev, sig) ? SIG_HOLD : old.sa_handler;
}
