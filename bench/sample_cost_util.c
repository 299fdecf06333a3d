/* Shared measurement machinery for bench/sample_cost*, bench/crossing*.
 *
 * Included as source (#include "sample_cost_util.c") rather than built as
 * a library: each benchmark binary gets a private static copy, and the
 * gperftools binary, which includes it without BENCH_WITH_LIBPROF, never
 * links libprof (the two profilers must not share a process). Define
 * BENCH_WITH_LIBPROF before including it to get the libprof helpers.
 *
 * Method (see docs/PERFORMANCE.md): every sample is a tgkill() of the
 * calling thread with SIGPROF, delivered before tgkill returns, at a chosen
 * stack depth. Costs are CPU times, not wall times, so the pauses taken to
 * let libprof's collector keep up cost nothing on the sampled thread. */
#include <dirent.h>
#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifdef BENCH_WITH_LIBPROF
#include "libprof.h"
#endif

/* Signals per burst. A quarter of libprof's 256-slot ring: each burst
 * crosses exactly one of the ring's wake-up points, and a burst plus the
 * leftover of the previous one can never overflow the ring. */
#define BENCH_BURST 64

static uint64_t bench_clock_ns(clockid_t clk) {
  struct timespec ts;
  clock_gettime(clk, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t bench_thread_cpu_ns(void) {
  return bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

/* All threads of the process, the collector included (the brief's
 * definition of "total"). */
static uint64_t bench_process_cpu_ns(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) *
             1000000000u +
         ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) *
             1000u;
}

static int bench_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Sorts v in place. */
static inline double bench_median(double *v, int n) {
  if (n <= 0)
    return 0;
  qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- where the signals are sent from --------------------------------- */

/* The stack every signal of a measurement lands on. */
struct bench_shape {
  int depth; /* frames on the stack at each signal, _start to syscall() */
  /* Optional, called on each recursion level on the way down (leave == 0)
   * and back up (leave == 1): the crossing benchmark marks language
   * crossings with it. Level 1 is the innermost. */
  void (*around)(int level, int leave, void *arg);
  void *arg;
};

struct bench_plan {
  void (*leaf)(void *arg);
  void *arg;
  const struct bench_shape *shape; /* NULL: no around hook */
};

/* A plain recursion, built with the compiler's default -O2 (no frame
 * pointers), so a sampler must unwind it with DWARF CFI. The volatile local
 * read after the call keeps the call from being a tail call or being turned
 * into a loop; noipa keeps GCC from cloning or inlining it. */
static __attribute__((noinline, noipa)) int
bench_descend(int level, const struct bench_plan *p) {
  volatile int keep = level;
  if (level <= 0) {
    p->leaf(p->arg);
    return 0;
  }
  const struct bench_shape *sh = p->shape;
  if (sh && sh->around)
    sh->around(level, 0, sh->arg);
  int r = bench_descend(level - 1, p);
  if (sh && sh->around)
    sh->around(level, 1, sh->arg);
  return r + keep;
}

/* The leaf of every burst: a signal per iteration, each handled before
 * tgkill returns, so the sampled stack is libc's syscall(), this function,
 * then the bench_descend levels. */
static __attribute__((noinline, noipa)) void bench_burst_leaf(void *arg) {
  int n = *(const int *)arg;
  pid_t pid = getpid();
  pid_t tid = (pid_t)syscall(SYS_gettid);
  for (int i = 0; i < n; i++)
    syscall(SYS_tgkill, pid, tid, SIGPROF);
}

/* Counts the frames above it (itself included) with glibc's DWARF-based
 * backtrace(), so the recursion depth is calibrated where it runs, whatever
 * the compiler inlined above. */
static __attribute__((noinline, noipa)) void bench_probe_leaf(void *arg) {
  void *pcs[1024];
  *(int *)arg = backtrace(pcs, 1024);
}

/* Frames on the stack at the signals of the last bench_bursts(). */
static int bench_frames_at_signal;

/* Called between bursts (not timed on the sampled thread). */
typedef void (*bench_pause_fn)(void *arg);

/* Sends n signals in bursts from shape->depth frames deep and returns the
 * sampled thread's CPU time spent inside the bursts only. */
static __attribute__((noinline)) uint64_t
bench_bursts(int n, const struct bench_shape *shape, bench_pause_fn pause,
             void *parg) {
  /* The probe sits where bench_burst_leaf will: at the signal there is one
   * frame more (syscall) plus one per bench_descend level. */
  int probe = 0;
  struct bench_plan pp = {bench_probe_leaf, &probe, NULL};
  bench_descend(0, &pp);
  int levels = shape->depth - probe - 1;
  levels = levels > 0 ? levels : 0;
  bench_frames_at_signal = probe + 1 + levels;
  uint64_t spent = 0;
  for (int sent = 0; sent < n; sent += BENCH_BURST) {
    int b = n - sent < BENCH_BURST ? n - sent : BENCH_BURST;
    struct bench_plan bp = {bench_burst_leaf, &b, shape};
    uint64_t t0 = bench_thread_cpu_ns();
    bench_descend(levels, &bp);
    spent += bench_thread_cpu_ns() - t0;
    if (pause)
      pause(parg);
  }
  return spent;
}

static void bench_empty_handler(int sig, siginfo_t *si, void *uc) {
  (void)sig, (void)si, (void)uc;
}

/* Bare signal cost in ns per signal: the same bursts against an empty
 * SA_SIGINFO handler. Puts back the disposition it found: SIG_DFL for
 * libprof, which refuses to replace a program's own handler, and
 * gperftools' handler, which it installs when the library loads. */
static double bench_bare_ns(int n, const struct bench_shape *shape) {
  struct sigaction sa, old;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = bench_empty_handler;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGPROF, &sa, &old);
  uint64_t spent = bench_bursts(n, shape, NULL, NULL);
  sigaction(SIGPROF, &old, NULL);
  return (double)spent / n;
}

static inline int bench_env_int(const char *name, int def, int lo) {
  const char *s = getenv(name);
  if (!s || !*s)
    return def;
  char *end;
  long v = strtol(s, &end, 10);
  return *end || v < lo || v > 100000000 ? def : (int)v;
}

#ifdef BENCH_WITH_LIBPROF
/* ---- one libprof session driven by bursts ----------------------------- */

/* CPU clock of another thread of this process, by tid (the kernel's
 * MAKE_THREAD_CPUCLOCK encoding, which pthread_getcpuclockid also uses). */
static clockid_t bench_tid_clock(pid_t tid) {
  return (clockid_t)((~(unsigned)tid << 3) | 4u | 2u);
}

/* libprof's collector thread, found by the name it gives itself, or 0. */
static pid_t bench_collector_tid(void) {
  DIR *d = opendir("/proc/self/task");
  pid_t found = 0;
  struct dirent *e;
  while (d && !found && (e = readdir(d)) != NULL) {
    char path[300], name[32] = "";
    snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
    FILE *f = fopen(path, "r");
    if (!f)
      continue;
    if (fgets(name, sizeof(name), f) && strncmp(name, "libprof-coll", 12) == 0)
      found = (pid_t)atoi(e->d_name);
    fclose(f);
  }
  if (d)
    closedir(d);
  return found;
}

struct bench_session {
  pid_t collector;       /* 0: unknown, pause by a fixed sleep instead */
  int stat_fd;           /* its /proc/self/task/TID/stat, or -1 */
  uint64_t collector_ns; /* its CPU time when the last burst was drained */
  uint64_t pause_ns;     /* this thread's CPU spent waiting: not libprof's */
};

/* The collector's scheduler state: 'S' once it sleeps on the ring's futex
 * again, i.e. has drained every sample published so far. A sample's
 * kick makes it runnable ('R') at once, inside the sender's tgkill. */
static char bench_task_state(int fd) {
  char buf[512];
  ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0)
    return '?';
  buf[n] = 0;
  const char *paren = strrchr(buf, ')'); /* the name may hold spaces */
  return paren && paren[1] == ' ' ? paren[2] : '?';
}

/* Waits until the collector has drained the burst. Without this, a
 * producer faster than the collector overflows the ring, and dropped
 * samples cost less than kept ones. Its own CPU time is kept apart, so
 * that "total" holds libprof's CPU only. */
static void bench_wait_drained(void *arg) {
  struct bench_session *bs = arg;
  uint64_t t0 = bench_thread_cpu_ns();
  if (bs->stat_fd < 0) {
    struct timespec blind = {0, BENCH_BURST * 200 * 1000L};
    nanosleep(&blind, NULL);
  } else {
    struct timespec nap = {0, 50 * 1000};
    while (bench_task_state(bs->stat_fd) != 'S')
      nanosleep(&nap, NULL);
    bs->collector_ns = bench_clock_ns(bench_tid_clock(bs->collector));
  }
  bs->pause_ns += bench_thread_cpu_ns() - t0;
}

/* Counts samples and the frames of the heaviest stack in a collapsed file
 * (`thread;root;...;leaf count`, counts not ns). */
static void bench_read_collapsed(const char *path, long *samples,
                                 int *frames) {
  FILE *f = fopen(path, "r");
  char line[65536];
  long best = -1;
  *samples = 0;
  *frames = 0;
  while (f && fgets(line, sizeof(line), f)) {
    char *sp = strrchr(line, ' ');
    if (!sp)
      continue;
    long c = atol(sp + 1);
    int semis = 0;
    for (char *q = line; q < sp; q++)
      semis += *q == ';';
    *samples += c;
    if (c > best) {
      best = c;
      *frames = semis; /* the first token is the thread, not a frame */
    }
  }
  if (f)
    fclose(f);
}

struct bench_cell {
  double handler_ns;   /* sampled thread CPU in bursts, per sample */
  double total_ns;     /* process CPU prof_start..prof_stop less the
                          benchmark's own waiting, per sample */
  double collector_ns; /* collector thread CPU before prof_stop, per sample */
  long kept;           /* samples in the written profile */
  int frames;          /* frames of the heaviest stack */
  int expect;          /* frames really on the stack at the signals */
};

/* One session of n (>= 1) tgkill samples sent from `shape`; bare ns are
 * NOT subtracted here. BENCH_KEEP=1 in the environment keeps the profile
 * (/tmp/libprof-bench-PID.folded) for inspection. Returns 0 or a libprof
 * error. */
static int bench_libprof_session(int n, const struct bench_shape *shape,
                                 struct bench_cell *c) {
  char out[128];
  snprintf(out, sizeof(out), "/tmp/libprof-bench-%d.folded", (int)getpid());
  /* itimer at 1 Hz: the timer adds about one sample per CPU-second to the
   * n driven ones. Collapsed counts make drops and depth checkable. */
  struct prof_options o;
  memset(&o, 0, sizeof(o));
  o.out = out;
  o.hz = 1;
  o.mode = "itimer";
  o.format = "collapsed";
  o.quiet = 1;
  struct bench_session bs = {0, -1, 0, 0};
  uint64_t p0 = bench_process_cpu_ns();
  int r = prof_start(&o);
  if (r)
    return r;
  uint64_t f0 = bench_thread_cpu_ns();
  char path[64];
  bs.collector = bench_collector_tid();
  snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)bs.collector);
  bs.stat_fd = bs.collector ? open(path, O_RDONLY | O_CLOEXEC) : -1;
  bs.pause_ns = bench_thread_cpu_ns() - f0;
  uint64_t spent = bench_bursts(n, shape, bench_wait_drained, &bs);
  r = prof_stop();
  uint64_t p1 = bench_process_cpu_ns();
  if (bs.stat_fd >= 0)
    close(bs.stat_fd);
  c->handler_ns = (double)spent / n;
  c->total_ns = (double)(p1 - p0 - bs.pause_ns) / n;
  c->collector_ns = (double)bs.collector_ns / n;
  c->expect = bench_frames_at_signal;
  bench_read_collapsed(out, &c->kept, &c->frames);
  if (!getenv("BENCH_KEEP"))
    unlink(out);
  return r;
}
#endif /* BENCH_WITH_LIBPROF */
