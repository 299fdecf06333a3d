/* Degraded environments, each in a child process:
 *  - perf_event_open refused (a seccomp filter): mode cpu falls back to
 *    timer, samples still come, and the summary says so;
 *  - a thread keeps the real-time sampling signal blocked while it burns
 *    CPU: the queue guard mutes it before the per-user queue limit, where
 *    perf would fall back to SIGIO (whose default action kills). */
#include <CUnit/Basic.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libprof.h"
#include "trig_check.h"
#include "trig_util.h"

__attribute__((noinline)) static void fb_burn(uint64_t ns) { TRIG_BURN(ns); }

/* Runs fn in a child; returns its exit status (or 128 + signal). */
static int in_child(int (*fn)(void)) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0)
    _exit(fn());
  int st;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int deny_perf_event_open(void) {
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_perf_event_open, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  struct sock_fprog prog = {sizeof(f) / sizeof(f[0]), f};
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
         prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

static int fallback_child(void) {
  struct prof_options o;
  memset(&o, 0, sizeof(o));
  o.out = trig_tmp_path("fallback.json");
  o.mode = "cpu";
  o.quiet = -1;
  if (deny_perf_event_open() != 0 || prof_start(&o) != 0)
    return 2;
  fb_burn(300000000u);
  trig_capture_begin();
  if (prof_stop() != 0)
    return 3;
  const char *line = trig_capture_end();
  if (!strstr(line, "fell back to mode timer") || !strstr(line, "(timer"))
    return 4;
  return trig_weight(o.out, "fb_burn") > 200e6 ? 0 : 5;
}

static void test_cpu_falls_back(void) {
  CU_ASSERT_EQUAL(in_child(fallback_child), 0);
}

/* Blocks the real-time signals (as a sigwaitinfo user would), not SIGIO,
 * after the pthread_create wrapper has unblocked the sampling signal. */
static void *blocking_thread(void *arg) {
  sigset_t rt;
  sigemptyset(&rt);
  for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
    sigaddset(&rt, sig);
  pthread_sigmask(SIG_BLOCK, &rt, NULL);
  fb_burn(1500000000u);
  return arg;
}

static void host_handler(int sig) { (void)sig; }

static int queue_child(void) {
  struct rlimit rl = {4000, 4000};
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = host_handler; /* SIGPROF is the program's: libprof takes */
  sigaction(SIGPROF, &sa, NULL); /* a real-time signal, which queues      */
  struct prof_options o;
  memset(&o, 0, sizeof(o));
  o.out = trig_tmp_path("queue.json");
  o.mode = "cpu";
  o.hz = 10000;
  o.quiet = -1;
  pthread_t th;
  if (setrlimit(RLIMIT_SIGPENDING, &rl) != 0 || prof_start(&o) != 0)
    return 2;
  pthread_create(&th, NULL, blocking_thread, NULL);
  pthread_join(th, NULL);
  trig_capture_begin();
  int r = prof_stop();
  const char *line = trig_capture_end();
  return r != 0 ? 3 : strstr(line, "blocked and were muted") ? 0 : 4;
}

static void test_queue_guard(void) {
  int st = in_child(queue_child);
  printf("\n  child exit status %d (%s)\n", st,
         st == 128 + SIGIO ? "killed by SIGIO" : "survived");
  CU_ASSERT_EQUAL(st, 0);
}

int main(void) {
  static const struct trig_test tests[] = {
      {"perf_event_open refused: cpu falls back to timer",
       test_cpu_falls_back},
      {"real-time signal kept blocked: the thread is muted",
       test_queue_guard},
      {NULL, NULL}};
  return trig_run_suite("degraded", NULL, tests);
}
