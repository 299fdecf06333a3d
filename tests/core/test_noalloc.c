/* No allocation in the signal handler. malloc and friends are interposed;
 * the sampling signal's handler is wrapped so that a thread-local flag is
 * set exactly while libprof's handler runs. Thousands of samples are taken
 * on freshly created threads (their first sample is the risky one: a lazy
 * TLS allocation would show up here), with cross-language crossings live
 * so the traceback path runs too. Any allocation inside fails the test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cu_suite.h"
#include "libprof.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static __thread volatile int in_handler
    __attribute__((tls_model("initial-exec")));
static atomic_long violations, handled;
static void (*prof_handler)(int, siginfo_t *, void *);

static void check(void) {
  if (in_handler)
    atomic_fetch_add(&violations, 1);
}
void *malloc(size_t n) { check(); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { check(); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { check(); return __libc_realloc(p, n); }
void free(void *p) { check(); __libc_free(p); }
void *memalign(size_t a, size_t n) { check(); return __libc_memalign(a, n); }
int posix_memalign(void **p, size_t a, size_t n) {
  check();
  *p = __libc_memalign(a, n);
  return *p ? 0 : 12;
}
void *aligned_alloc(size_t a, size_t n) { check(); return __libc_memalign(a, n); }

static void wrapper(int sig, siginfo_t *si, void *uc) {
  in_handler = 1;
  atomic_fetch_add(&handled, 1);
  prof_handler(sig, si, uc);
  in_handler = 0;
}

/* A runtime whose traceback reports two managed frames. */
static void traceback(void *p) {
  struct prof_traceback_arg *a = p;
  for (uintptr_t i = 0; i < a->max && i < 2; i++)
    a->buf[i] = 0x100 + i;
  if (a->max > 2)
    a->buf[2] = 0;
}
static void context(void *p) {
  struct prof_context_arg *a = p;
  a->context = a->context ? 0 : 1;
}

static int rt;

static void *worker(void *arg) {
  pid_t tid = (pid_t)syscall(SYS_gettid);
  prof_enter_managed(rt);
  prof_enter_native(rt);
  for (int i = 0; i < 40; i++)
    syscall(SYS_tgkill, getpid(), tid, SIGPROF);
  prof_leave_native(rt);
  prof_leave_managed(rt);
  for (int i = 0; i < 10; i++) /* and without a slice */
    syscall(SYS_tgkill, getpid(), tid, SIGPROF);
  return arg;
}

static void test_no_allocation(void) {
  char path[128];
  snprintf(path, sizeof(path), "/tmp/libprof-noalloc-%d.json", getpid());
  struct prof_options o = {.out = path, .hz = 1000, .quiet = 1};
  rt = prof_runtime_register(0, "noalloc", traceback, context, NULL);
  CU_ASSERT_FATAL(rt >= 0);
  CU_ASSERT_EQUAL_FATAL(prof_start(&o), 0);
  /* libprof's sigaction shows the program its own view (SIG_DFL) and
   * would move sampling off SIGPROF; the wrapper goes in underneath,
   * through libc's own sigaction. */
  typedef int (*sa_fn)(int, const struct sigaction *, struct sigaction *);
  void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
  sa_fn libc_sigaction = libc ? (sa_fn)dlsym(libc, "sigaction") : NULL;
  CU_ASSERT_FATAL(libc_sigaction != NULL);
  struct sigaction sa;
  libc_sigaction(SIGPROF, NULL, &sa);
  CU_ASSERT_FATAL(sa.sa_flags & SA_SIGINFO);
  prof_handler = sa.sa_sigaction;
  sa.sa_sigaction = wrapper;
  libc_sigaction(SIGPROF, &sa, NULL);
  for (int round = 0; round < 60; round++) { /* 240 fresh threads */
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
      pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < 4; i++)
      pthread_join(t[i], NULL);
  }
  CU_ASSERT_EQUAL(prof_stop(), 0);
  unlink(path);
  printf("\n  %ld samples handled, %ld allocations inside the handler\n",
         atomic_load(&handled), atomic_load(&violations));
  CU_ASSERT(atomic_load(&handled) >= 10000);
  CU_ASSERT_EQUAL(atomic_load(&violations), 0);
}

/* The check itself must be able to fail: allocate inside the wrapper. */
static void test_detector_works(void) {
  static void *volatile keep; /* so the compiler cannot elide the pair */
  in_handler = 1;
  keep = malloc(16);
  in_handler = 0;
  free(keep);
  CU_ASSERT_EQUAL(atomic_load(&violations), 1);
  atomic_store(&violations, 0);
}

int main(void) {
  static const struct cu_test tests[] = {
      {"the interposer detects allocation", test_detector_works},
      {"thousands of samples on fresh threads", test_no_allocation},
  };
  int rc = cu_run_suite("no allocation in the handler", tests, CU_COUNT(tests));
  return rc;
}
