/* Fork stress host: trig_forkstress N CHURNERS
 * forks N children while CHURNERS threads create threads that rename
 * themselves (pthread_setname_np) and exit, all the time, and the parent
 * is sampled; its allocator takes a lock of its own across fork (below).
 * Each child works a little (every 50th one 60 ms of CPU, in long_child)
 * and exits, writing its own profile (LIBPROF_FORK=follow). A child that
 * hangs is killed by its alarm after 5 s. Up to 4 children run at once.
 * Prints "child PID long|short STATUS" per child (STATUS: exit status, or
 * 128 + signal), then "forks N".
 *   trig_forkstress daemon PIDFILE   daemon(); the child works 60 ms
 *   trig_forkstress _Fork            _Fork(); the child exits at once, the
 *                                    parent works 60 ms after it */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trig_util.h"

#define INFLIGHT 4

/* The host's own allocator front (like jemalloc or tcmalloc): one lock,
 * held across fork by handlers the host registers in main, i.e. after
 * libprof's, so that its child handler, which releases the lock, runs
 * after libprof's. Anything that allocates in a child handler that runs
 * before it waits for ever. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
static pthread_mutex_t heap_mu = PTHREAD_MUTEX_INITIALIZER;

void *malloc(size_t n) {
  pthread_mutex_lock(&heap_mu);
  void *p = __libc_malloc(n);
  pthread_mutex_unlock(&heap_mu);
  return p;
}

void *calloc(size_t n, size_t size) {
  pthread_mutex_lock(&heap_mu);
  void *p = __libc_calloc(n, size);
  pthread_mutex_unlock(&heap_mu);
  return p;
}

void *realloc(void *old, size_t n) {
  pthread_mutex_lock(&heap_mu);
  void *p = __libc_realloc(old, n);
  pthread_mutex_unlock(&heap_mu);
  return p;
}

void free(void *p) {
  pthread_mutex_lock(&heap_mu);
  __libc_free(p);
  pthread_mutex_unlock(&heap_mu);
}

static void heap_lock(void) { pthread_mutex_lock(&heap_mu); }
static void heap_unlock(void) { pthread_mutex_unlock(&heap_mu); }

__attribute__((noinline)) static void long_child(void) {
  TRIG_BURN(60000000u);
}
__attribute__((noinline)) static void short_child(void) {
  TRIG_BURN(200000u);
}

static volatile int churning = 1;

static void *short_lived(void *arg) {
  char name[16];
  snprintf(name, sizeof(name), "short-%ld", (long)(intptr_t)arg % 1000);
  pthread_setname_np(pthread_self(), name);
  TRIG_BURN(100000u);
  return NULL;
}

/* Creates threads that rename themselves and exit, back to back. */
static void *churner(void *arg) {
  for (intptr_t i = 0; churning; i++) {
    pthread_t th;
    if (pthread_create(&th, NULL, short_lived, (void *)i) == 0)
      pthread_join(th, NULL);
    char name[16];
    snprintf(name, sizeof(name), "churn-%ld", (long)(i % 100));
    pthread_setname_np(pthread_self(), name);
  }
  return arg;
}

static struct {
  pid_t pid;
  int is_long;
} kids[INFLIGHT];

static void reap(int k) {
  int st;
  if (kids[k].pid <= 0)
    return;
  waitpid(kids[k].pid, &st, 0);
  printf("child %d %s %d\n", (int)kids[k].pid,
         kids[k].is_long ? "long" : "short",
         WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  kids[k].pid = 0;
}

static int run_stress(int n, int nch) {
  pthread_t ch[16];
  nch = nch < 1 ? 1 : nch > 16 ? 16 : nch;
  pthread_atfork(heap_lock, heap_unlock, heap_unlock);
  for (int i = 0; i < nch; i++)
    pthread_create(&ch[i], NULL, churner, NULL);
  for (int i = 0; i < n; i++) {
    int k = i % INFLIGHT;
    reap(k);
    int is_long = i % 50 == 0;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
      alarm(5); /* the watchdog: a hung child dies of SIGALRM */
      if (is_long)
        long_child();
      else
        short_child();
      exit(0);
    }
    kids[k].pid = pid;
    kids[k].is_long = is_long;
  }
  for (int k = 0; k < INFLIGHT; k++)
    reap(k);
  churning = 0;
  for (int i = 0; i < nch; i++)
    pthread_join(ch[i], NULL);
  printf("forks %d\n", n);
  return 0;
}

/* daemon(): its child (which writes its pid to pidfile) works 60 ms. */
static int run_daemon(const char *pidfile) {
  if (daemon(1, 1) != 0)
    return 1;
  FILE *f = fopen(pidfile, "w");
  if (!f)
    return 1;
  fprintf(f, "%d\n", (int)getpid());
  fclose(f);
  long_child();
  return 0;
}

/* _Fork(): the child works a little and exits (atexit handlers run);
 * the parent waits for it, then works 60 ms. */
static int run_fork_(void) {
  fflush(stdout);
  pid_t pid = _Fork();
  if (pid == 0) {
    short_child();
    exit(0);
  }
  int st;
  if (pid < 0 || waitpid(pid, &st, 0) != pid)
    return 1;
  printf("child %d %d\n", (int)pid,
         WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  long_child();
  return 0;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "1000";
  if (strcmp(mode, "daemon") == 0 && argc > 2)
    return run_daemon(argv[2]);
  if (strcmp(mode, "_Fork") == 0)
    return run_fork_();
  return run_stress(atoi(mode), argc > 2 ? atoi(argv[2]) : 2);
}
