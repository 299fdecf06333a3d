/* Soak host: everything a host can do to libprof, at once, for a while.
 *
 *   soak SECONDS OUTDIR PLUGIN.so [--reset-signals] [--without=PARTS]
 *
 * While the main thread runs start/stop cycles at 1 kHz (2 s each, one
 * profile per cycle in OUTDIR), worker threads keep going across them:
 *   - dlopen churn: load PLUGIN, run code in it, unload;
 *   - thread churn: batches of short threads, each with one crossing
 *     (slice allocated and freed) and ending by return or pthread_exit;
 *   - fork: a child that burns a little and exits (a fork child profiles
 *     itself into its own file while a session runs);
 *   - crossings: two threads in the test runtime (tests/xlang/trt.c),
 *     native -> managed -> native -> managed, without pause;
 *   - --reset-signals (or SOAK_RESET_SIGNALS=1): on every other cycle the
 *     host resets the signals in mid-session, alternately every signal to
 *     SIG_DFL (as a daemon does) and its own SIGPROF handler.
 * It prints one `cycle ...` line per session and a final `soak ...` line
 * (key=value figures, read by run_soak.py) and exits 0 unless something a
 * host can see went wrong: a crossing of libprof's API failed, a fork
 * child did not exit 0, a descriptor was left behind. */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libprof.h"
#include "trig_check.h"
#include "trig_util.h"
#include "trt.h"

#define HZ 1000
#define CYCLE_MS 2000
#define MS 1000000ull

static atomic_int stop_flag;
static atomic_long n_dlopen, n_threads, n_forks, n_fork_bad, n_cross;
static atomic_long n_host_handler;
static const char *plugin;

static void nap_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) != 0) /* libprof may interrupt: finish it */
    ;
}

static void *dlopen_churn(void *arg) {
  while (!atomic_load(&stop_flag)) {
    void *h = dlopen(plugin, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      fprintf(stderr, "soak: dlopen: %s\n", dlerror());
      exit(3);
    }
    unsigned (*work)(unsigned) = (unsigned (*)(unsigned))dlsym(h, "churn_work");
    work(20000);
    dlclose(h);
    atomic_fetch_add(&n_dlopen, 1);
  }
  return arg;
}

/* ---- crossings --------------------------------------------------------- */

static volatile unsigned sink;

static __attribute__((noinline)) void c_leaf(void) {
  for (int i = 0; i < 2000; i++)
    sink = sink * 31 + (unsigned)i;
}
static __attribute__((noinline)) void m_inner(void) {
  native_call(trt.a, c_leaf);
}
static __attribute__((noinline)) void c_middle(void) {
  run_managed(trt.b, trt_pc("m_inner"), m_inner);
}
static __attribute__((noinline)) void m_outer(void) {
  call_managed(trt_pc("m_step"), c_leaf);
  native_call(trt.a, c_middle);
}

static void *crossing_loop(void *arg) {
  while (!atomic_load(&stop_flag)) {
    run_managed(trt.a, trt_pc("m_outer"), m_outer);
    atomic_fetch_add(&n_cross, 1);
  }
  return arg;
}

/* ---- thread churn ------------------------------------------------------ */

static void *short_thread(void *arg) {
  long k = (long)arg;
  run_managed(trt.a, trt_pc("m_short"), c_leaf); /* slice made and freed */
  TRIG_BURN(k % 50 == 0 ? 3 * MS : MS / 10);
  if (k % 2)
    pthread_exit(NULL);
  return NULL;
}

static void *thread_churn(void *arg) {
  for (long k = 0; !atomic_load(&stop_flag);) {
    pthread_t th[8];
    for (int i = 0; i < 8; i++, k++)
      if (pthread_create(&th[i], NULL, short_thread, (void *)k) != 0) {
        fprintf(stderr, "soak: pthread_create failed\n");
        exit(3);
      }
    for (int i = 0; i < 8; i++)
      pthread_join(th[i], NULL);
    atomic_fetch_add(&n_threads, 8);
    nap_ms(5);
  }
  return arg;
}

/* ---- fork -------------------------------------------------------------- */

static void *forker(void *arg) {
  while (!atomic_load(&stop_flag)) {
    pid_t pid = fork();
    if (pid == 0) {
      TRIG_BURN(20 * MS);
      /* _exit, which libprof catches to write the child's profile. Not
       * exit(): glibc 2.36 does not reset its exit-handler lock in a fork
       * child, and the dlopen churn holds it in the parent whenever a
       * dlclose runs its destructors (__cxa_finalize), so exit() in the
       * child can wait forever, with or without libprof. */
      _exit(0);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
        WEXITSTATUS(st) != 0) {
      fprintf(stderr, "soak: fork child %d ended with status %#x\n", pid, st);
      atomic_fetch_add(&n_fork_bad, 1);
    }
    atomic_fetch_add(&n_forks, 1);
    nap_ms(300);
  }
  return arg;
}

/* ---- the host that resets signals --------------------------------------- */

static void host_handler(int sig) {
  (void)sig;
  atomic_fetch_add(&n_host_handler, 1);
}

/* Odd cycles: 1, 5, 9... reset everything to SIG_DFL; 3, 7, 11... install
 * the host's own SIGPROF handler (libprof then samples with a real-time
 * signal in the next session, which the next reset hits too). */
static void reset_signals(int cycle) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  if (cycle % 4 == 1) {
    sa.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++)
      if (s != SIGKILL && s != SIGSTOP)
        sigaction(s, &sa, NULL); /* glibc's internal signals refuse */
  } else {
    sa.sa_handler = host_handler;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGPROF, &sa, NULL);
  }
}

/* The parts that run beside the start/stop cycles; --without=a,b leaves
 * some out (to find which one a failure needs). */
static const struct {
  const char *name;
  void *(*fn)(void *);
} workers[] = {{"dlopen", dlopen_churn}, {"threads", thread_churn},
               {"fork", forker},         {"crossings", crossing_loop},
               {"crossings", crossing_loop}};
enum { NW = sizeof(workers) / sizeof(workers[0]) };

/* ---- the main thread: start/stop cycles ---------------------------------- */

static double process_cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  while (f && fgets(line, sizeof(line), f))
    if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
      break;
  if (f)
    fclose(f);
  return kib;
}

/* One session: speedscope always, collapsed too on every third cycle. */
static int cycle(const char *dir, int n, int reset) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/cycle-%03d.json", dir, n);
  struct prof_options o = {.out = path, .hz = HZ, .quiet = -1};
  if (n % 3 == 2)
    o.format = "speedscope,collapsed";
  double cpu0 = process_cpu_s();
  int r = prof_start(&o);
  if (r != 0) {
    fprintf(stderr, "soak: prof_start: %s\n", prof_strerror(r));
    return -1;
  }
  nap_ms(CYCLE_MS * 3 / 4);
  if (reset && n % 2)
    reset_signals(n);
  nap_ms(CYCLE_MS / 4);
  r = prof_stop();
  if (r != 0) {
    fprintf(stderr, "soak: prof_stop: %s\n", prof_strerror(r));
    return -1;
  }
  /* dprintf: no stdio buffer a fork child could flush a second time */
  dprintf(1, "cycle %d cpu_s=%.3f rss_kib=%ld file=%s\n", n,
          process_cpu_s() - cpu0, rss_kib(), path);
  return 0;
}

/* libunwind opens a pipe once per process, at the first session: open it
 * before the descriptors are counted. */
static int warm_up(const char *dir) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/warm-up.json", dir);
  struct prof_options o = {.out = path, .hz = HZ, .quiet = 1};
  if (prof_start(&o) != 0)
    return -1;
  TRIG_BURN(20 * MS);
  return prof_stop();
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: soak SECONDS OUTDIR PLUGIN.so [--reset-signals] "
                    "[--without=dlopen,threads,fork,crossings]\n");
    return 2;
  }
  double secs = atof(argv[1]);
  const char *env = getenv("SOAK_RESET_SIGNALS"), *without = "";
  int reset = env && strcmp(env, "1") == 0;
  for (int i = 4; i < argc; i++) {
    if (strcmp(argv[i], "--reset-signals") == 0)
      reset = 1;
    else if (strncmp(argv[i], "--without=", 10) == 0)
      without = argv[i] + 10;
  }
  plugin = argv[3];
  trt_init();
  if (warm_up(argv[2]) != 0)
    return 1;
  int fds0 = trig_count_fds(), timers0 = trig_count_timers();
  pthread_t th[NW];
  for (int i = 0; i < NW; i++)
    if (!strstr(without, workers[i].name))
      pthread_create(&th[i], NULL, workers[i].fn, NULL);
  uint64_t end = trig_mono_ns() + (uint64_t)(secs * 1e9);
  int n = 0, bad = 0;
  while (!bad && (n == 0 || trig_mono_ns() < end))
    bad = cycle(argv[2], n++, reset) != 0;
  atomic_store(&stop_flag, 1);
  for (int i = 0; i < NW; i++)
    if (!strstr(without, workers[i].name))
      pthread_join(th[i], NULL);
  int fds1 = trig_count_fds(), timers1 = trig_count_timers();
  dprintf(1, "soak cycles=%d reset_signals=%d dlopens=%ld threads=%ld forks=%ld "
          "fork_failures=%ld crossing_loops=%ld host_handler_calls=%ld "
          "fds_before=%d fds_after=%d timers_before=%d timers_after=%d\n",
          n, reset, atomic_load(&n_dlopen), atomic_load(&n_threads),
          atomic_load(&n_forks), atomic_load(&n_fork_bad),
          atomic_load(&n_cross), atomic_load(&n_host_handler), fds0, fds1,
          timers0, timers1);
  return bad || atomic_load(&n_fork_bad) || fds1 != fds0 || timers1 != timers0;
}
