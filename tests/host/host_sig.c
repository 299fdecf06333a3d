/* A host program for the host-safety tests (run under LD_PRELOAD):
 *   host_sig MODE [SECONDS]
 * Every mode burns CPU in host_burn() so that the profile has samples,
 * then does what MODE says. Prints what it observed on stdout. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_cpu(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile unsigned long sink;

__attribute__((noinline)) static void host_burn(double secs) {
  double end = now_cpu() + secs;
  while (now_cpu() < end)
    for (int i = 0; i < 10000; i++)
      sink += (unsigned long)i * 2654435761u;
}

static volatile sig_atomic_t host_count;
static void host_handler(int sig) { (void)sig, host_count++; }

static void term_handler(int sig) {
  (void)sig;
  static const char msg[] = "host handled SIGTERM\n";
  if (write(1, msg, sizeof(msg) - 1) < 0)
    _exit(99);
  _exit(7);
}

/* What sigaction(SIGPROF, NULL, &old) shows the program. */
static const char *disp_name(int sig) {
  struct sigaction sa;
  sigaction(sig, NULL, &sa);
  if (sa.sa_flags & SA_SIGINFO)
    return "other";
  if (sa.sa_handler == SIG_DFL)
    return "SIG_DFL";
  if (sa.sa_handler == SIG_IGN)
    return "SIG_IGN";
  return sa.sa_handler == host_handler ? "host" : "other";
}

/* Installs its own SIGPROF handler, then raises SIGPROF `raises` times:
 * the handler must see exactly those. */
static int mode_own(double secs) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = host_handler;
  printf("before: %s\n", disp_name(SIGPROF));
  host_burn(secs / 2);
  sigaction(SIGPROF, &sa, NULL);
  printf("after: %s\n", disp_name(SIGPROF));
  host_burn(secs / 2);
  for (int i = 0; i < 5; i++)
    raise(SIGPROF);
  printf("host handler calls: %d\n", (int)host_count);
  return 0;
}

/* Many vfork children ending in _exit while the parent is sampled: they
 * must not write anything nor touch the parent's state. */
static int mode_vfork(double secs) {
  for (int i = 0; i < 200; i++) {
    pid_t p = vfork();
    if (p == 0)
      _exit(5);
    int st = 0;
    waitpid(p, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 5) {
      printf("vfork child %d: bad status %d\n", i, st);
      return 1;
    }
  }
  host_burn(secs);
  printf("vfork ok\n");
  return 0;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  double secs = argc > 2 ? atof(argv[2]) : 0.3;
  setvbuf(stdout, NULL, _IONBF, 0);
  if (strcmp(mode, "dfl") == 0) { /* SIGPROF back to SIG_DFL, then work */
    signal(SIGPROF, SIG_DFL);
    host_burn(secs);
    printf("survived\n");
  } else if (strcmp(mode, "ign") == 0) {
    signal(SIGPROF, SIG_IGN);
    host_burn(secs);
    printf("survived\n");
  } else if (strcmp(mode, "own") == 0) {
    return mode_own(secs);
  } else if (strcmp(mode, "busy") == 0) { /* until a signal ends it */
    host_burn(secs);
    printf("ready\n");
    for (;;)
      host_burn(1.0);
  } else if (strcmp(mode, "termh") == 0) {
    printf("term: %s\n", disp_name(SIGTERM));
    signal(SIGTERM, term_handler);
    host_burn(secs);
    printf("ready\n");
    for (;;)
      host_burn(1.0);
  } else if (strcmp(mode, "_exit") == 0) {
    host_burn(secs);
    _exit(3);
  } else if (strcmp(mode, "_Exit") == 0) {
    host_burn(secs);
    _Exit(4);
  } else if (strcmp(mode, "closeerr") == 0) {
    host_burn(secs);
    close(2);
    return 0;
  } else if (strcmp(mode, "abort") == 0) {
    host_burn(secs);
    abort();
  } else if (strcmp(mode, "vfork") == 0) {
    return mode_vfork(secs);
  }
  return 0;
}
