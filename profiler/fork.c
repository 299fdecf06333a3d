/* Output paths of fork children and exec'd programs, and the sampling
 * signal around fork (see fork.h and docs/sampling.md). */
#include "profiler/fork.h"

#include <dlfcn.h>
#include <errno.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libprof.h"
#include "profiler/threads.h"

#define PROF__OWNER_VAR "LIBPROF_OUT_PID"

void prof__out_for_pid(struct prof__config *c, pid_t pid) {
  char buf[sizeof(c->out)];
  if (strstr(c->out_pattern, "%p")) {
    /* The pattern was accepted at start: a child's longer pid that does
     * not fit is cut rather than failing in the child. */
    prof__config_expand_out(c->out_pattern, pid, c->out, sizeof(c->out));
    return;
  }
  /* From the path as given, not from c->out: a parent's own path may
   * already carry its pid, and a grandchild must not add a second one. */
  char orig[sizeof(c->out)];
  prof__config_expand_out(c->out_pattern, pid, orig, sizeof(orig));
  const char *slash = strrchr(orig, '/');
  const char *base = slash ? slash + 1 : orig;
  /* A leading dot (".prof") is part of the name, not an extension. */
  const char *dot = base[0] ? strchr(base + 1, '.') : NULL;
  size_t stem = dot ? (size_t)(dot - orig) : strlen(orig);
  snprintf(buf, sizeof(buf), "%.*s.%ld%s", (int)stem, orig, (long)pid,
           dot ? dot : "");
  memcpy(c->out, buf, sizeof(buf));
}

static int prof__has_pid(const char *pattern) {
  return strstr(pattern, "%p") != NULL;
}

void prof__out_claim(void) {
  const char *out = secure_getenv("LIBPROF_OUT");
  char pid[24];
  if (!out || !out[0] || prof__has_pid(out) || secure_getenv(PROF__OWNER_VAR))
    return;
  snprintf(pid, sizeof(pid), "%ld", (long)getpid());
  setenv(PROF__OWNER_VAR, pid, 0);
}

void prof__out_adjust(struct prof__config *c) {
  const char *owner = secure_getenv(PROF__OWNER_VAR);
  if (!c->out_from_env || prof__has_pid(c->out_pattern) || !owner ||
      atol(owner) == (long)getpid())
    return;
  prof__out_for_pid(c, getpid());
}

/* Forks are serialized by glibc's atfork lock (held from the prepare
 * handlers to the parent/child handlers), so one saved mask suffices. */
static sigset_t prof__fork_mask;
static int prof__fork_masked;

void prof__fork_block(int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  prof__fork_masked = pthread_sigmask(SIG_BLOCK, &set, &prof__fork_mask) == 0;
}

void prof__fork_unblock(void) {
  if (prof__fork_masked)
    pthread_sigmask(SIG_SETMASK, &prof__fork_mask, NULL);
  prof__fork_masked = 0;
}

/* ---- fork ------------------------------------------------------------- */

/* libprof defines fork, daemon and forkpty so that a child's session
 * starts after fork has returned (prof__fork_follow), once every atfork
 * handler ran; glibc's daemon and forkpty call its internal fork, which
 * bypasses ours, so they are wrapped too. _Fork runs no atfork handler
 * and its child may only call async-signal-safe functions: libprof's
 * _Fork resets libprof's state in the child (prof__fork_child_reset, all
 * AS-safe) and starts no session. Children made by other means (raw
 * clone, vfork) forget nothing and start nothing; see docs/sampling.md. */
typedef pid_t (*prof__fork_fn)(void);
typedef int (*prof__daemon_fn)(int, int);
typedef int (*prof__forkpty_fn)(int *, char *, const struct termios *,
                                const struct winsize *);

static struct {
  void *_Atomic fork, *_Atomic fork_, *_Atomic daemon, *_Atomic forkpty;
} prof__realf;

/* libc's `name`, looked up on first use rather than in a constructor: a
 * library initialized before libprof may fork. Sets errno to ENOSYS and
 * returns NULL if there is none. */
static void *prof__libc(void *_Atomic *slot, const char *name) {
  void *f = atomic_load(slot);
  if (!f) {
    f = dlsym(RTLD_NEXT, name);
    atomic_store(slot, f);
  }
  if (!f)
    errno = ENOSYS;
  return f;
}

PROF_EXTERN pid_t fork(void) {
  prof__fork_fn real = (prof__fork_fn)prof__libc(&prof__realf.fork, "fork");
  pid_t pid = real ? real() : -1;
  if (pid == 0)
    prof__fork_follow();
  return pid;
}

PROF_EXTERN pid_t _Fork(void) {
  prof__fork_fn real = (prof__fork_fn)prof__libc(&prof__realf.fork_, "_Fork");
  pid_t pid = real ? real() : -1;
  if (pid == 0) {
    int e = errno;
    prof__fork_child_reset(0); /* and no session: malloc is off limits */
    errno = e;
  }
  return pid;
}

/* Returns only in the child (the parent _exits inside), or on error. */
PROF_EXTERN int daemon(int nochdir, int noclose) {
  prof__daemon_fn real =
      (prof__daemon_fn)prof__libc(&prof__realf.daemon, "daemon");
  if (!real)
    return -1;
  int r = real(nochdir, noclose);
  int e = errno;
  prof__fork_follow(); /* nothing is owed unless this is the child */
  errno = e;
  return r;
}

PROF_EXTERN int forkpty(int *amaster, char *name,
                        const struct termios *termp,
                        const struct winsize *winp) {
  prof__forkpty_fn real =
      (prof__forkpty_fn)prof__libc(&prof__realf.forkpty, "forkpty");
  int pid = real ? real(amaster, name, termp, winp) : -1;
  if (pid == 0)
    prof__fork_follow();
  return pid;
}

/* ---- exec ------------------------------------------------------------- */

/* libprof defines the exec family so that a sampling signal can never be
 * pending when the new program starts with the default disposition (see
 * prof__threads_exec_prepare). libc's own functions are resolved at load:
 * a vfork child must not run the dynamic linker. posix_spawn and system
 * exec from a child that no trigger targets, so they need nothing. */
typedef int (*prof__execve_fn)(const char *, char *const[], char *const[]);
typedef int (*prof__execv_fn)(const char *, char *const[]);
typedef int (*prof__fexecve_fn)(int, char *const[], char *const[]);

static struct {
  prof__execve_fn execve, execvpe;
  prof__execv_fn execv, execvp;
  prof__fexecve_fn fexecve;
} prof__real;

__attribute__((constructor)) static void prof__exec_init(void) {
  prof__real.execve = (prof__execve_fn)dlsym(RTLD_NEXT, "execve");
  prof__real.execvpe = (prof__execve_fn)dlsym(RTLD_NEXT, "execvpe");
  prof__real.execv = (prof__execv_fn)dlsym(RTLD_NEXT, "execv");
  prof__real.execvp = (prof__execv_fn)dlsym(RTLD_NEXT, "execvp");
  prof__real.fexecve = (prof__fexecve_fn)dlsym(RTLD_NEXT, "fexecve");
}

/* Runs call between prepare and (if it returned, i.e. failed) undo. */
#define PROF__EXEC(fn, ...)                                    \
  do {                                                         \
    if (!(fn)) {                                               \
      errno = ENOSYS;                                          \
      return -1;                                               \
    }                                                          \
    int armed_ = prof__threads_exec_prepare();                 \
    int r_ = (fn)(__VA_ARGS__);                                \
    int e_ = errno;                                            \
    if (armed_)                                                \
      prof__threads_exec_undo();                               \
    errno = e_;                                                \
    return r_;                                                 \
  } while (0)

PROF_EXTERN int execve(const char *path, char *const argv[],
                       char *const envp[]) {
  PROF__EXEC(prof__real.execve, path, argv, envp);
}

PROF_EXTERN int execvpe(const char *file, char *const argv[],
                        char *const envp[]) {
  PROF__EXEC(prof__real.execvpe, file, argv, envp);
}

PROF_EXTERN int execv(const char *path, char *const argv[]) {
  PROF__EXEC(prof__real.execv, path, argv);
}

PROF_EXTERN int execvp(const char *file, char *const argv[]) {
  PROF__EXEC(prof__real.execvp, file, argv);
}

PROF_EXTERN int fexecve(int fd, char *const argv[], char *const envp[]) {
  PROF__EXEC(prof__real.fexecve, fd, argv, envp);
}

/* execl, execle, execlp: the arguments into an array (argv[n] = NULL),
 * then the v form. glibc declares arg0 non-null. */
#define PROF__ARGV(argv, arg0, last)                            \
  size_t n_ = 1;                                               \
  va_list ap_;                                                 \
  va_start(ap_, arg0);                                         \
  while (va_arg(ap_, char *) != NULL)                          \
    n_++;                                                      \
  va_end(ap_);                                                 \
  char *argv[n_ + 1];                                          \
  argv[0] = (char *)(arg0);                                    \
  va_start(ap_, arg0);                                         \
  for (size_t i_ = 1; i_ <= n_; i_++)                          \
    argv[i_] = va_arg(ap_, char *);                            \
  last;                                                        \
  va_end(ap_)

PROF_EXTERN int execl(const char *path, const char *arg, ...) {
  PROF__ARGV(argv, arg, (void)0);
  return execv(path, argv);
}

PROF_EXTERN int execlp(const char *file, const char *arg, ...) {
  PROF__ARGV(argv, arg, (void)0);
  return execvp(file, argv);
}

PROF_EXTERN int execle(const char *path, const char *arg, ...) {
  PROF__ARGV(argv, arg, char *const *envp = va_arg(ap_, char *const *));
  return execve(path, argv, envp);
}
