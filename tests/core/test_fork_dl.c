/* A fork while another thread is inside dl_iterate_phdr (or dlopen,
 * dlclose: they hold the same loader lock). glibc 2.36 does not reset
 * that lock in the child, so a child that calls dl_iterate_phdr waits
 * forever for a thread that does not exist there. A host's child that
 * does not call it (fork + exec, fork + _exit) is fine without libprof;
 * libprof must not make it hang, in either fork mode: the session a child
 * follows must start without the loader lock, or not at all.
 *
 * Deterministic: a thread parks inside dl_iterate_phdr's callback until
 * the fork has returned in the parent, so the lock is held at every fork.
 * A child that has not exited 10 s later is hung (it does nothing but
 * _exit), killed, and the test fails. */
#define _GNU_SOURCE
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cu_suite.h"
#include "libprof.h"

#define FORKS 3

static atomic_int inside, forked;

static int park_cb(struct dl_phdr_info *info, size_t size, void *data) {
  (void)info, (void)size, (void)data;
  atomic_store(&inside, 1);
  while (!atomic_load(&forked))
    sched_yield();
  return 1; /* one object is enough: the lock was held */
}

static void *holder(void *arg) {
  dl_iterate_phdr(park_cb, NULL);
  return arg;
}

/* Forks while holder() is parked in the loader lock; 1 if the child
 * exited 0 within 10 s. */
static int fork_under_loader_lock(void) {
  pthread_t th;
  atomic_store(&inside, 0);
  atomic_store(&forked, 0);
  pthread_create(&th, NULL, holder, NULL);
  while (!atomic_load(&inside))
    sched_yield();
  pid_t pid = fork();
  if (pid == 0)
    _exit(0);
  atomic_store(&forked, 1);
  pthread_join(th, NULL);
  int st = 0;
  for (int i = 0; i < 1000 && waitpid(pid, &st, WNOHANG) == 0; i++)
    nanosleep(&(struct timespec){0, 10000000}, NULL);
  if (waitpid(pid, &st, WNOHANG) == 0) {
    fprintf(stderr, "\n  fork child %d hung: killed", pid);
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return 0;
  }
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void forks_in_mode(const char *fork_mode) {
  char path[128];
  snprintf(path, sizeof(path), "/tmp/libprof-forkdl-%d.json", getpid());
  setenv("LIBPROF_FORK", fork_mode, 1);
  struct prof_options o = {.out = path, .hz = 1000, .quiet = 1};
  CU_ASSERT_EQUAL_FATAL(prof_start(&o), 0);
  int ok = 0;
  for (int i = 0; i < FORKS; i++)
    ok += fork_under_loader_lock();
  CU_ASSERT_EQUAL(prof_stop(), 0);
  CU_ASSERT_EQUAL(ok, FORKS);
  printf("\n  LIBPROF_FORK=%s: %d of %d children exited\n", fork_mode, ok,
         FORKS);
  unlink(path);
  /* A following child wrote <path stem>.<pid>.json; nothing to check in
   * it here: the fork test of tests/triggers checks those files. */
}

static void test_follow(void) { forks_in_mode("follow"); }
static void test_stop(void) { forks_in_mode("stop"); }

int main(void) {
  static const struct cu_test tests[] = {
      {"fork under the loader lock, LIBPROF_FORK=stop", test_stop},
      {"fork under the loader lock, LIBPROF_FORK=follow", test_follow},
  };
  return cu_run_suite("fork and the loader lock", tests, CU_COUNT(tests));
}
