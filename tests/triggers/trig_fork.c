/* Fork and exec host.
 *   child PARENT_OUT   burns in parent_before, forks; the child forks a
 *                      grandchild (grandchild_work), then burns in
 *                      child_work and exits; the parent checks that
 *                      PARENT_OUT does not exist yet, burns in parent_after
 *   bigfork MB N       touches MB MiB, then forks N times (children _exit)
 *                      while a thread burns CPU; prints fork times
 *   spawn PROG         runs "PROG 0.3" with posix_spawn and with vfork +
 *                      execv, environment inherited; prints their pids
 *   exec PROG          burns 0.2 s, then execs "PROG 0.3" in place */
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trig_util.h"

extern char **environ;

__attribute__((noinline)) static void parent_before(void) {
  TRIG_BURN(200000000u);
}
__attribute__((noinline)) static void parent_after(void) {
  TRIG_BURN(200000000u);
}
__attribute__((noinline)) static void child_work(void) {
  TRIG_BURN(300000000u);
}
__attribute__((noinline)) static void grandchild_work(void) {
  TRIG_BURN(200000000u);
}

static int wait_ok(pid_t pid) {
  int st;
  return waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
         WEXITSTATUS(st) == 0;
}

/* PARENT_OUT with %p replaced by our pid. */
static void expand_pid(const char *pattern, char *out, size_t len) {
  const char *p = strstr(pattern, "%p");
  if (!p)
    snprintf(out, len, "%s", pattern);
  else
    snprintf(out, len, "%.*s%d%s", (int)(p - pattern), pattern,
             (int)getpid(), p + 2);
}

static int run_child(const char *pattern) {
  char parent_out[4096];
  expand_pid(pattern, parent_out, sizeof(parent_out));
  parent_before();
  pid_t pid = fork();
  if (pid == 0) {
    pid_t g = fork(); /* a fork of a fork names its file after itself */
    if (g == 0) {
      grandchild_work();
      exit(0);
    }
    if (g < 0 || !wait_ok(g))
      exit(1);
    printf("grandchild %d\n", (int)g);
    child_work();
    exit(0);
  }
  if (pid < 0 || !wait_ok(pid))
    return 1;
  printf("parent %d\nchild %d\nparent_out_absent %d\n", (int)getpid(),
         (int)pid,
         access(parent_out, F_OK) != 0);
  parent_after();
  return 0;
}

static volatile int burning = 1;
static void *burner(void *arg) {
  while (burning)
    TRIG_BURN(1000000u);
  return arg;
}

static int run_bigfork(size_t mb, int n) {
  size_t len = mb << 20;
  char *mem = malloc(len);
  pthread_t th;
  if (!mem)
    return 1;
  for (size_t i = 0; i < len; i += 4096)
    mem[i] = (char)i; /* touch: every page is mapped */
  pthread_create(&th, NULL, burner, NULL);
  uint64_t t0 = trig_mono_ns(), worst = 0;
  for (int i = 0; i < n; i++) {
    uint64_t f0 = trig_mono_ns();
    pid_t pid = fork();
    if (pid == 0)
      _exit(0);
    uint64_t f1 = trig_mono_ns();
    worst = f1 - f0 > worst ? f1 - f0 : worst;
    if (pid < 0 || !wait_ok(pid))
      return 1;
    TRIG_BURN(2000000u); /* the forking thread is sampled too */
  }
  burning = 0;
  pthread_join(th, NULL);
  printf("forks %d total_ms %.1f worst_ms %.1f\n", n,
         (double)(trig_mono_ns() - t0) / 1e6, (double)worst / 1e6);
  return mem[4096] == 0 ? 0 : 0;
}

static int run_spawn(char *prog) {
  char *argv[] = {prog, "0.3", NULL};
  pid_t a, b;
  if (posix_spawn(&a, prog, NULL, NULL, argv, environ) != 0)
    return 1;
  b = vfork();
  if (b == 0) {
    execv(prog, argv);
    _exit(127);
  }
  if (b < 0 || !wait_ok(a) || !wait_ok(b))
    return 1;
  printf("spawned %d %d\n", (int)a, (int)b);
  return 0;
}

static int run_exec(char *prog) {
  char *argv[] = {prog, "0.3", NULL};
  parent_before();
  printf("pid %d\n", (int)getpid());
  fflush(stdout);
  execv(prog, argv);
  perror("execv");
  return 1;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "child") == 0 && argc > 2)
    return run_child(argv[2]);
  if (strcmp(mode, "bigfork") == 0 && argc > 3)
    return run_bigfork((size_t)atol(argv[2]), atoi(argv[3]));
  if (strcmp(mode, "spawn") == 0 && argc > 2)
    return run_spawn(argv[2]);
  if (strcmp(mode, "exec") == 0 && argc > 2)
    return run_exec(argv[2]);
  fprintf(stderr, "usage: trig_fork child|bigfork|spawn|exec ...\n");
  return 64;
}
