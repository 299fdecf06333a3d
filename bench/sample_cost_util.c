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
 * stack depth. Each burst of samples is paired with a burst of as many
 * signals of another number (BENCH_BARE_SIGNAL) to an empty handler, from
 * the same stack, right before it: "bare" is measured alongside, so the
 * load of a shared machine hits both halves of the difference alike.
 * Costs are CPU times, not wall times, so the pauses taken to let
 * libprof's collector keep up cost nothing on the sampled thread. */
#include <dirent.h>
#include <execinfo.h>
#include <alloca.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
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
  /* Bytes of stack above each sample, up to the top of the thread's
   * stack: 0 leaves what the benchmark's own frames use, a few KiB; more
   * is made with a frame above the recursion. libprof's handler copies
   * min(LIBPROF_STACK_BYTES, this), so it decides how much libprof
   * copies; gperftools' cost does not depend on it. */
  size_t above;
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

/* The bare signal: any number but the profilers' SIGPROF costs the same
 * to deliver, and this one goes to an empty handler. */
#define BENCH_BARE_SIGNAL SIGUSR2

struct bench_burst {
  int n, sig;
};

/* The leaf of every burst: a signal per iteration, each handled before
 * tgkill returns, so the sampled stack is libc's syscall(), this function,
 * then the bench_descend levels. */
static uintptr_t bench_burst_sp; /* a local of the last burst's leaf */

static __attribute__((noinline, noipa)) void bench_burst_leaf(void *arg) {
  const struct bench_burst *b = arg;
  bench_burst_sp = (uintptr_t)&b;
  pid_t pid = getpid();
  pid_t tid = (pid_t)syscall(SYS_gettid);
  for (int i = 0; i < b->n; i++)
    syscall(SYS_tgkill, pid, tid, b->sig);
}

/* Counts the frames above it (itself included) with glibc's DWARF-based
 * backtrace(), so the recursion depth is calibrated where it runs, whatever
 * the compiler inlined above. */
static __attribute__((noinline, noipa)) void bench_probe_leaf(void *arg) {
  void *pcs[1024];
  *(int *)arg = backtrace(pcs, 1024);
}

/* Frames on the stack at the signals of the last bench_bursts(), and the
 * bytes of stack above them (to the top of the thread's stack). */
static int bench_frames_at_signal;
static size_t bench_bytes_above;

/* The top (highest address) of the calling thread's stack. */
static uintptr_t bench_stack_top(void) {
  pthread_attr_t at;
  void *addr = NULL;
  size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &at) == 0) {
    pthread_attr_getstack(&at, &addr, &size);
    pthread_attr_destroy(&at);
  }
  return (uintptr_t)addr + size;
}

/* Called between bursts (not timed on the sampled thread). */
typedef void (*bench_pause_fn)(void *arg);

/* Sampled-thread CPU time of one bench_bursts() call. */
struct bench_spent {
  uint64_t sampled_ns; /* in the SIGPROF bursts (the profiler's handler) */
  uint64_t bare_ns;    /* in the paired BENCH_BARE_SIGNAL bursts */
};

static void bench_empty_handler(int sig, siginfo_t *si, void *uc) {
  (void)sig, (void)si, (void)uc;
}

static uint64_t bench_timed_burst(int levels, const struct bench_shape *shape,
                                  int n, int sig) {
  struct bench_burst b = {n, sig};
  struct bench_plan bp = {bench_burst_leaf, &b, shape};
  uint64_t t0 = bench_thread_cpu_ns();
  bench_descend(levels, &bp);
  return bench_thread_cpu_ns() - t0;
}

/* Sends n SIGPROF signals in bursts from shape->depth frames deep, each
 * burst right after a bare one of the same size and stack. Only the bursts
 * are timed. */
static __attribute__((noinline)) void
bench_bursts(int n, const struct bench_shape *shape, bench_pause_fn pause,
             void *parg, struct bench_spent *spent) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = bench_empty_handler;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(BENCH_BARE_SIGNAL, &sa, NULL);
  /* The probe sits where bench_burst_leaf will: at the signal there is one
   * frame more (syscall) plus one per bench_descend level. */
  int probe = 0;
  struct bench_plan pp = {bench_probe_leaf, &probe, NULL};
  bench_descend(0, &pp);
  int levels = shape->depth - probe - 1;
  levels = levels > 0 ? levels : 0;
  bench_frames_at_signal = probe + 1 + levels;
  /* A burst of no signal finds the stack the leaf will use; the pad then
   * moves everything below this frame down by the missing bytes. */
  struct bench_burst none = {0, SIGPROF};
  struct bench_plan np = {bench_burst_leaf, &none, NULL};
  bench_descend(levels, &np);
  size_t natural = bench_stack_top() - bench_burst_sp;
  size_t padding = shape->above > natural ? shape->above - natural : 0;
  char *pad = padding ? alloca(padding) : NULL;
  if (pad) { /* touched, and kept alive across the calls below */
    memset(pad, 1, padding);
    __asm__ volatile("" : : "r"(pad) : "memory");
  }
  spent->sampled_ns = spent->bare_ns = 0;
  for (int sent = 0; sent < n; sent += BENCH_BURST) {
    int b = n - sent < BENCH_BURST ? n - sent : BENCH_BURST;
    spent->bare_ns += bench_timed_burst(levels, shape, b, BENCH_BARE_SIGNAL);
    spent->sampled_ns += bench_timed_burst(levels, shape, b, SIGPROF);
    if (pause)
      pause(parg);
  }
  bench_bytes_above = n > 0 ? bench_stack_top() - bench_burst_sp : 0;
}

/* The kernel puts the main thread's stack top at a random offset, which
 * moves how many bytes of stack lie above a sample, and so how many
 * libprof's handler copies, by up to a KiB or so from run to run. Re-exec
 * once without that randomization, so every run copies the same (for one
 * environment: its strings sit at the top of the stack too). Not under
 * valgrind, whose exec'd child would run uninstrumented. */
static inline void bench_fixed_stack(char **argv) {
  int p = personality(0xffffffff);
  if (p == -1 || (p & ADDR_NO_RANDOMIZE) ||
      personality((unsigned long)p | ADDR_NO_RANDOMIZE) == -1)
    return;
  execv("/proc/self/exe", argv);
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
  double bare_ns;      /* the paired bare bursts, per signal */
  double handler_ns;   /* sampled thread CPU in bursts, minus bare */
  double total_ns;     /* process CPU prof_start..prof_stop, less the
                          benchmark's own bare bursts and waiting, minus
                          bare, per sample */
  double collector_ns; /* collector thread CPU before prof_stop, per sample */
  long kept;           /* samples in the written profile */
  int frames;          /* frames of the heaviest stack */
  int expect;          /* frames really on the stack at the signals */
  size_t above;        /* stack bytes above the samples */
};

/* One session of n (>= 1) tgkill samples sent from `shape`, with the
 * paired bare bursts. BENCH_KEEP=1 in the environment keeps the profile
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
  struct bench_spent spent;
  bench_bursts(n, shape, bench_wait_drained, &bs, &spent);
  r = prof_stop();
  uint64_t p1 = bench_process_cpu_ns();
  if (bs.stat_fd >= 0)
    close(bs.stat_fd);
  c->bare_ns = (double)spent.bare_ns / n;
  c->handler_ns = (double)spent.sampled_ns / n - c->bare_ns;
  /* The process also ran the bare bursts and this thread's waiting; what
   * remains still includes a bare signal per sample. */
  c->total_ns =
      (double)(p1 - p0 - bs.pause_ns - spent.bare_ns) / n - c->bare_ns;
  c->collector_ns = (double)bs.collector_ns / n;
  c->expect = bench_frames_at_signal;
  c->above = bench_bytes_above;
  bench_read_collapsed(out, &c->kept, &c->frames);
  if (!getenv("BENCH_KEEP"))
    unlink(out);
  return r;
}
#endif /* BENCH_WITH_LIBPROF */
