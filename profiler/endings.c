/* SIGTERM/SIGINT/SIGHUP and _exit/_Exit (see endings.h). */
#include "profiler/endings.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "libprof.h"
#include "profiler/session.h"
#include "profiler/sigown.h"
#include "profiler/threads.h"

static const int prof__ending_sigs[] = {SIGTERM, SIGINT, SIGHUP};
#define PROF__NENDING (sizeof(prof__ending_sigs) / sizeof(int))

/* Requests and completions, as futex words: the writer serves request n
 * by stopping the session, then publishes done = n. */
static _Atomic uint32_t prof__req, prof__done;
static const char *_Atomic prof__why;
/* An ending is being handled: a second one ends the process at once. */
static _Atomic int prof__dying;
static pid_t prof__writer_pid; /* process that has a writer thread */

typedef void (*prof__exit_fn)(int);
static prof__exit_fn prof__real_exit, prof__real_Exit;

__attribute__((constructor)) static void prof__endings_init(void) {
  prof__real_exit = (prof__exit_fn)dlsym(RTLD_NEXT, "_exit");
  prof__real_Exit = (prof__exit_fn)dlsym(RTLD_NEXT, "_Exit");
}

static void prof__futex(_Atomic uint32_t *w, int op, uint32_t v,
                        const struct timespec *ts) {
  syscall(SYS_futex, (uint32_t *)w, op, v, ts, NULL, 0);
}

static void *prof__writer_main(void *arg) {
  for (;;) {
    uint32_t r = atomic_load(&prof__req);
    if (r == atomic_load(&prof__done)) {
      prof__futex(&prof__req, FUTEX_WAIT_PRIVATE, r, NULL);
      continue;
    }
    prof__stop_for(atomic_load(&prof__why));
    atomic_store(&prof__done, r);
    prof__futex(&prof__done, FUTEX_WAKE_PRIVATE, INT_MAX, NULL);
  }
  return arg;
}

/* Has the writer stop the session and write the profile; waits at most
 * PROF__END_WAIT_MS. Only the process that owns the session: a vfork
 * child shares our memory but must touch nothing. AS-safe. */
PROF__SIGSAFE static void prof__write_bounded(const char *why) {
  struct prof__sampler *sp = atomic_load(&prof__active);
  if (!sp || sp->pid != getpid() || prof__writer_pid != sp->pid ||
      prof__session_held_here())
    return;
  atomic_store(&prof__why, why);
  uint32_t my = atomic_fetch_add(&prof__req, 1) + 1;
  prof__futex(&prof__req, FUTEX_WAKE_PRIVATE, 1, NULL);
  uint64_t end = prof__now_ns(CLOCK_MONOTONIC) + PROF__END_WAIT_MS * 1000000ull;
  for (;;) {
    uint32_t d = atomic_load(&prof__done);
    uint64_t now = prof__now_ns(CLOCK_MONOTONIC);
    if ((int32_t)(d - my) >= 0 || now >= end)
      return;
    struct timespec ts = {(time_t)((end - now) / 1000000000u),
                          (long)((end - now) % 1000000000u)};
    prof__futex(&prof__done, FUTEX_WAIT_PRIVATE, d, &ts);
  }
}

static const char *prof__sig_name(int sig) {
  return sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "SIGHUP";
}

/* Write, then end the process the way SIG_DFL would have. */
static void prof__on_ending(int sig, siginfo_t *si, void *uc) {
  (void)si, (void)uc;
  if (!atomic_exchange(&prof__dying, 1))
    prof__write_bounded(prof__sig_name(sig));
  struct sigaction dfl;
  memset(&dfl, 0, sizeof(dfl));
  dfl.sa_handler = SIG_DFL;
  prof__sys_sigaction(sig, &dfl, NULL);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, sig);
  pthread_sigmask(SIG_UNBLOCK, &one, NULL);
  /* Raw ids, not the cached tid: a vfork child shares our TLS. */
  syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
}

void prof__endings_start(void) {
  if (prof__writer_pid != getpid()) { /* first session of this process */
    pthread_t th;
    atomic_store(&prof__req, 0);
    atomic_store(&prof__done, 0);
    atomic_store(&prof__dying, 0);
    if (prof__thread_create_internal(&th, prof__writer_main, NULL) != 0)
      return; /* endings lose the profile; nothing else changes */
    pthread_setname_np(th, "libprof-exit");
    pthread_detach(th);
    prof__writer_pid = getpid();
  }
  struct sigaction ours, cur;
  memset(&ours, 0, sizeof(ours));
  ours.sa_sigaction = prof__on_ending;
  ours.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&ours.sa_mask);
  for (size_t i = 0; i < PROF__NENDING; i++) {
    int sig = prof__ending_sigs[i];
    if (prof__sigown_view(sig, &cur) == 0 && !(cur.sa_flags & SA_SIGINFO) &&
        cur.sa_handler == SIG_DFL)
      prof__sigown_claim(sig, PROF__ROLE_ENDING, &ours);
  }
}

void prof__endings_stop(void) {
  for (size_t i = 0; i < PROF__NENDING; i++)
    if (prof__sigown_role(prof__ending_sigs[i]) == PROF__ROLE_ENDING)
      prof__sigown_release(prof__ending_sigs[i]);
}

/* glibc's exit() calls its own _exit directly, so only the program's
 * calls arrive here. */
static _Noreturn void prof__exit_with(prof__exit_fn real, int status,
                                      const char *why) {
  prof__write_bounded(why);
  if (real)
    real(status);
  for (;;)
    syscall(SYS_exit_group, status);
}

PROF_EXTERN void _exit(int status) {
  prof__exit_with(prof__real_exit, status, "_exit");
}

PROF_EXTERN void _Exit(int status) {
  prof__exit_with(prof__real_Exit, status, "_Exit");
}
