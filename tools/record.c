/* `libprof record`: runs the program, waits for it (with --duration and a
 * progress line), then hands over to record_files.c. See record.h.
 *
 * Signals, as system() and time(1) do it: the terminal's ^C and ^\ reach
 * the program through the process group, so the tool ignores SIGINT and
 * SIGQUIT and waits while the program writes its profile and ends; it then
 * reports and ends the same way. SIGTERM and SIGHUP sent to the tool alone
 * (a supervisor, a closing terminal) are passed on to the program. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tools/record.h"

/* After --duration's SIGINT, the program gets this long to write its
 * profile and end before SIGKILL (libprof itself waits at most 10 s for
 * its writer at an ending signal). */
#define PROF_RECORD_GRACE_S 20.0
#define PROF_RECORD_TICK_NS 50000000L /* wait-loop period: 50 ms */

static double prof_record_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Dies the way the program died, without a second core dump. */
static int prof_record_die(int sig) {
  struct rlimit no_core = {0, 0};
  sigset_t set;
  setrlimit(RLIMIT_CORE, &no_core);
  signal(sig, SIG_DFL);
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  raise(sig);
  return 128 + sig; /* the signal does not terminate by default */
}

/* The child: execs cmd; on failure sends errno up the close-on-exec
 * pipe, so the parent knows nothing ran (and prints no profile table). */
static void prof_record_child(char **cmd, int fd,
                              const struct sigaction *old_int,
                              const struct sigaction *old_quit) {
  sigaction(SIGINT, old_int, NULL);
  sigaction(SIGQUIT, old_quit, NULL);
  execvp(cmd[0], cmd);
  int e = errno;
  fprintf(stderr, "libprof record: cannot run %s: %s\n", cmd[0],
          strerror(e));
  if (write(fd, &e, sizeof(e)) != (ssize_t)sizeof(e))
    _exit(127);
  _exit(e == ENOENT ? 127 : 126);
}

static volatile sig_atomic_t prof_record_child_pid;

/* Passes SIGTERM/SIGHUP on to the program. AS-safe. */
static void prof_record_forward(int sig) {
  int saved = errno;
  if (prof_record_child_pid > 0)
    kill((pid_t)prof_record_child_pid, sig);
  errno = saved;
}

/* The program's CPU seconds so far (utime + stime of /proc/PID/stat), or
 * -1. Only the direct child: its subprocesses are not summed. */
static double prof_record_cpu(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0)
    return -1;
  buf[n] = 0;
  const char *p = strrchr(buf, ')'); /* the name may hold spaces */
  unsigned long long ut, st;
  if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
                                 "%*u %llu %llu", &ut, &st) != 2)
    return -1;
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* The parent pid of pid from /proc/PID/stat, or -1. */
static long prof_record_ppid(long pid) {
  char path[64], buf[512];
  snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  buf[n > 0 ? n : 0] = 0;
  const char *p = strrchr(buf, ')');
  long ppid;
  return p != NULL && sscanf(p + 2, "%*c %ld", &ppid) == 1 ? ppid : -1;
}

/* Sends sig to pid and to every process below it, as Ctrl-C reaches a
 * whole job: a wrapper script's commands then write their profiles too.
 * Only the program's own descendants are touched, found by their parent
 * links in /proc (two passes catch a chain listed out of order). */
static void prof_record_kill_tree(pid_t pid, int sig) {
  long tree[256];
  size_t n = 0;
  tree[n++] = pid;
  for (int pass = 0; pass < 2; pass++) {
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL && n < 256) {
      long p = atol(e->d_name), pp = p > 0 ? prof_record_ppid(p) : -1;
      size_t i = 0, known = 0;
      for (; i < n && !known; i++)
        known = tree[i] == p;
      for (i = 0; i < n && !known && pp > 0; i++)
        if (tree[i] == pp)
          tree[n++] = p, known = 1;
    }
    if (d != NULL)
      closedir(d);
  }
  for (size_t i = n; i-- > 0;)
    kill((pid_t)tree[i], sig);
}

/* One line on the terminal, redrawn in place: elapsed time and the
 * program's CPU time. The sample count is not shown: the samples live in
 * the program's memory until it writes its profile. The cursor is left at
 * the start of the line, so what the program prints overwrites it rather
 * than trailing after it. */
static void prof_record_progress(pid_t pid, double elapsed,
                                 const struct prof_record_opts *o) {
  double cpu = prof_record_cpu(pid);
  char left[48] = "";
  if (o->duration > 0)
    snprintf(left, sizeof(left), " of %.1f s", o->duration);
  if (cpu >= 0)
    fprintf(stderr, "\rlibprof record: %.1f s%s, pid %ld, CPU %.1f s\033[K\r",
            elapsed, left, (long)pid, cpu);
  else
    fprintf(stderr, "\rlibprof record: %.1f s%s, pid %ld\033[K\r", elapsed,
            left, (long)pid);
}

struct prof_record_wait {
  int status;
  int stopped; /* --duration sent SIGINT */
};

/* Waits for pid, sending SIGINT at --duration and SIGKILL after the
 * grace period, and drawing the progress line when stderr is a terminal. */
static int prof_record_wait(pid_t pid, const struct prof_record_opts *o,
                            struct prof_record_wait *w) {
  int tty = !o->quiet && isatty(2);
  double start = prof_record_now(), next_draw = start + 0.5;
  int killed = 0, drawn = 0;
  for (;;) {
    pid_t r = waitpid(pid, &w->status, WNOHANG);
    if (r == pid)
      break;
    if (r < 0 && errno != EINTR)
      return -1;
    double now = prof_record_now();
    if (o->duration > 0 && !w->stopped && now - start >= o->duration) {
      prof_record_kill_tree(pid, SIGINT);
      w->stopped = 1;
    }
    if (w->stopped && !killed &&
        now - start >= o->duration + PROF_RECORD_GRACE_S) {
      fprintf(stderr, "%slibprof record: pid %ld did not end %.0f s after "
              "SIGINT; sending SIGKILL\n", drawn ? "\n" : "", (long)pid,
              PROF_RECORD_GRACE_S);
      kill(pid, SIGKILL);
      killed = 1;
    }
    if (tty && now >= next_draw) {
      prof_record_progress(pid, now - start, o);
      next_draw = now + 0.5;
      drawn = 1;
    }
    struct timespec tick = {0, PROF_RECORD_TICK_NS};
    nanosleep(&tick, NULL);
  }
  if (drawn)
    fputs("\r\033[K", stderr);
  return 0;
}

int prof_record_run(const struct prof_record_opts *o, char **cmd) {
  int fds[2], exec_errno = 0, rc = 0;
  struct prof_record_wait w = {0, 0};
  struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_quit;
  struct sigaction fwd = {.sa_handler = prof_record_forward};
  struct timespec t0;
  clock_gettime(CLOCK_REALTIME, &t0);
  if (pipe2(fds, O_CLOEXEC) != 0) {
    fprintf(stderr, "libprof record: pipe: %s\n", strerror(errno));
    return 1;
  }
  sigaction(SIGINT, &ign, &old_int);
  sigaction(SIGQUIT, &ign, &old_quit);
  pid_t pid = fork();
  if (pid == 0)
    prof_record_child(cmd, fds[1], &old_int, &old_quit);
  prof_record_child_pid = pid;
  sigaction(SIGTERM, &fwd, NULL);
  sigaction(SIGHUP, &fwd, NULL);
  close(fds[1]);
  if (pid > 0 && read(fds[0], &exec_errno, sizeof(exec_errno)) <= 0)
    exec_errno = 0;
  close(fds[0]);
  if (pid > 0)
    rc = prof_record_wait(pid, o, &w);
  int saved = errno;
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGQUIT, &old_quit, NULL);
  if (pid < 0 || rc != 0) {
    fprintf(stderr, "libprof record: %s: %s\n", pid < 0 ? "fork" : "wait",
            strerror(saved));
    return 1;
  }
  if (exec_errno == 0)
    prof_record_files(o, (long)pid,
                      (long long)t0.tv_sec * 1000000000LL + t0.tv_nsec);
  if (w.stopped && WIFSIGNALED(w.status) && WTERMSIG(w.status) == SIGINT) {
    if (!o->quiet)
      fprintf(stderr, "libprof record: stopped %s after --duration %g s\n",
              cmd[0], o->duration);
    return 0;
  }
  if (WIFSIGNALED(w.status))
    return prof_record_die(WTERMSIG(w.status));
  return WIFEXITED(w.status) ? WEXITSTATUS(w.status) : 1;
}
