/* Descriptors: a cpu-mode host that closes every descriptor (daemons do)
 * and opens its own files, which get the numbers libprof's perf events
 * had. libprof must never close them (threads exit, prof_stop runs), must
 * say in the summary on how many threads it lost its events, and must go
 * on sampling those threads with a CPU-clock timer. And a program exec'd
 * while a session runs inherits no descriptor of libprof's. */
#include <CUnit/Basic.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libprof.h"
#include "trig_check.h"
#include "trig_util.h"

#define WORKERS 4
#define FILES 64

__attribute__((noinline)) static void before_close(uint64_t ns) {
  TRIG_BURN(ns);
}
__attribute__((noinline)) static void after_close(uint64_t ns) {
  TRIG_BURN(ns);
}

static volatile int stop_workers;
static void *worker(void *arg) {
  while (!stop_workers)
    TRIG_BURN(1000000u);
  return arg;
}

/* The number of descriptors of an exec'd program (find) that are perf
 * events, or -1. */
static int exec_perf_fds(void) {
  FILE *p = popen("exec find /proc/self/fd/ -lname 'anon_inode:*perf*'", "r");
  char line[256];
  int n = 0;
  if (!p)
    return -1;
  while (fgets(line, sizeof(line), p))
    n++;
  return pclose(p) == 0 ? n : -1;
}

/* Opens FILES files of our own, each holding its index. */
static int open_own(int *fds) {
  for (int i = 0; i < FILES; i++) {
    char name[32], text[32];
    snprintf(name, sizeof(name), "own-%d", i);
    fds[i] = open(trig_tmp_path(name), O_RDWR | O_CREAT | O_TRUNC, 0600);
    int len = snprintf(text, sizeof(text), "file %d", i);
    if (fds[i] < 0 || write(fds[i], text, (size_t)len) != len)
      return -1;
  }
  return 0;
}

/* How many of our files are still open and still ours. */
static int own_intact(const int *fds) {
  int ok = 0;
  for (int i = 0; i < FILES; i++) {
    char want[32], got[32] = {0};
    struct stat st;
    int len = snprintf(want, sizeof(want), "file %d", i);
    ok += fstat(fds[i], &st) == 0 && S_ISREG(st.st_mode) &&
          pread(fds[i], got, sizeof(got) - 1, 0) == len &&
          strcmp(got, want) == 0;
  }
  return ok;
}

/* 1 if this kernel lets us open a task-clock perf event (mode cpu). */
static int have_perf(void) {
  struct perf_event_attr a;
  memset(&a, 0, sizeof(a));
  a.size = sizeof(a);
  a.type = PERF_TYPE_SOFTWARE;
  a.config = PERF_COUNT_SW_TASK_CLOCK;
  a.disabled = 1;
  a.exclude_kernel = 1;
  a.exclude_hv = 1;
  int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1,
                        PERF_FLAG_FD_CLOEXEC);
  if (fd >= 0)
    close(fd);
  return fd >= 0;
}

/* Exit status: bit 0 files, 1 summary, 2 fallback samples, 3 exec. */
static int fds_child(const char *out) {
  struct prof_options o;
  pthread_t th[WORKERS];
  int fds[FILES], fail = 0;
  memset(&o, 0, sizeof(o));
  o.out = out;
  o.mode = "cpu";
  o.hz = 1000;
  o.quiet = -1;
  if (prof_start(&o) != 0)
    return 100;
  for (int i = 0; i < WORKERS; i++)
    pthread_create(&th[i], NULL, worker, NULL);
  before_close(100000000u);
  if (exec_perf_fds() != 0)
    fail |= 8;
  syscall(SYS_close_range, 3u, ~0u, 0u); /* what a daemon does */
  if (open_own(fds) != 0)
    return 101;
  after_close(500000000u); /* the monitor moves us to a timer */
  stop_workers = 1;
  for (int i = 0; i < WORKERS; i++)
    pthread_join(th[i], NULL);
  trig_capture_begin(); /* after the close: it holds a descriptor */
  prof_stop();
  const char *sum = trig_capture_end();
  if (own_intact(fds) != FILES)
    fail |= 1;
  if (!strstr(sum, "closed libprof's perf descriptor of 5 threads") ||
      !strstr(sum, "5 sampled by a CPU-clock timer since"))
    fail |= 2;
  if (!(trig_weight(out, "after_close") > 0))
    fail |= 4;
  return fail;
}

static void test_closed_fds(void) {
  if (!have_perf()) { /* mode cpu runs on timers: no descriptor to lose */
    printf("\n  skipped: perf_event_open is not allowed here\n");
    return;
  }
  const char *p = trig_tmp_path("fds.json");
  char out[256];
  snprintf(out, sizeof(out), "%s", p);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0)
    _exit(fds_child(out));
  int st;
  CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
  CU_ASSERT_TRUE(WIFEXITED(st));
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  printf("\n  child status %d (1 files, 2 summary, 4 fallback, 8 exec)\n",
         code);
  CU_ASSERT_EQUAL(code & 1, 0);  /* the program's files intact */
  CU_ASSERT_EQUAL(code & 2, 0);  /* the summary names the 5 threads */
  CU_ASSERT_EQUAL(code & 4, 0);  /* sampled after the close */
  CU_ASSERT_EQUAL(code & 8, 0);  /* nothing of ours across exec */
  CU_ASSERT_TRUE(code < 100);    /* the session started */
}

int main(void) {
  static const struct trig_test tests[] = {
      {"host closes every fd, opens its own", test_closed_fds},
      {NULL, NULL}};
  return trig_run_suite("triggers_fds", NULL, tests);
}
