/* Signals: a program that owns SIGPROF before prof_start, one that takes
 * it after, repeated start/stop, and a stop while threads are sampled. */
#include <CUnit/Basic.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libprof.h"
#include "trig_check.h"
#include "trig_util.h"

static volatile sig_atomic_t host_count;
static void host_handler(int sig) { (void)sig, host_count++; }

__attribute__((noinline)) static void sig_burn(uint64_t ns) {
  TRIG_BURN(ns);
}

static void host_install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = host_handler;
  sigaction(SIGPROF, &sa, NULL);
  host_count = 0;
}

static int host_installed(void) {
  struct sigaction sa;
  sigaction(SIGPROF, NULL, &sa);
  return !(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == host_handler;
}

static void host_remove(void) { signal(SIGPROF, SIG_DFL); }

static struct prof_options opts(const char *file, const char *mode, int hz) {
  struct prof_options o;
  memset(&o, 0, sizeof(o));
  o.out = trig_tmp_path(file);
  o.mode = mode;
  o.hz = hz;
  o.quiet = -1;
  return o;
}

/* Documented: cpu, timer and wall move to a free real-time signal and
 * leave the program's SIGPROF handler alone. */
static void test_owned_before_start(void) {
  host_install();
  struct prof_options o = opts("before.json", "cpu", 1000);
  CU_ASSERT_EQUAL_FATAL(prof_start(&o), 0);
  CU_ASSERT(host_installed());
  raise(SIGPROF);
  CU_ASSERT_EQUAL(host_count, 1);
  sig_burn(300000000u);
  CU_ASSERT_EQUAL(host_count, 1); /* none of libprof's signals */
  trig_capture_begin();
  CU_ASSERT_EQUAL(prof_stop(), 0);
  CU_ASSERT(strstr(trig_capture_end(), "sampling with signal") != NULL);
  CU_ASSERT(trig_weight(o.out, "sig_burn") > 250e6);
  CU_ASSERT(host_installed());
  raise(SIGPROF);
  CU_ASSERT_EQUAL(host_count, 2);
  host_remove();
}

/* Documented: itimer must use SIGPROF, so it stays off. */
static void test_owned_before_itimer(void) {
  host_install();
  struct prof_options o = opts("itimer.json", "itimer", 100);
  trig_capture_begin();
  CU_ASSERT_EQUAL(prof_start(&o), PROF_ESIGNAL);
  CU_ASSERT(strstr(trig_capture_end(), "mode itimer needs it") != NULL);
  CU_ASSERT(!prof_running());
  CU_ASSERT(host_installed());
  raise(SIGPROF);
  CU_ASSERT_EQUAL(host_count, 1);
  CU_ASSERT(access(o.out, F_OK) != 0);
  host_remove();
}

/* The program takes SIGPROF while libprof samples with it: before its
 * sigaction returns, libprof moves to a free real-time signal (nothing
 * pending of the old one reaches the program), so the program's handler
 * gets none of libprof's signals, sampling goes on, the summary says so,
 * and prof_stop leaves the handler. A query before sees SIG_DFL, what
 * was there before libprof, not libprof's handler. */
static void test_taken_after_start(void) {
  struct prof_options o = opts("after.json", "cpu", 1000);
  struct sigaction q;
  CU_ASSERT_EQUAL_FATAL(prof_start(&o), 0);
  sig_burn(100000000u);
  CU_ASSERT(sigaction(SIGPROF, NULL, &q) == 0 &&
            !(q.sa_flags & SA_SIGINFO) && q.sa_handler == SIG_DFL);
  host_install();
  sig_burn(300000000u);
  CU_ASSERT_EQUAL(host_count, 0);
  trig_capture_begin();
  CU_ASSERT_EQUAL(prof_stop(), 0);
  const char *line = trig_capture_end();
  CU_ASSERT(strstr(line, "; signal 27 taken by the program after ") != NULL);
  CU_ASSERT(strstr(line, " s: sampling moved to signal 64 (SIGRTMIN+30)") !=
            NULL);
  CU_ASSERT(host_installed());
  raise(SIGPROF);
  CU_ASSERT_EQUAL(host_count, 1);
  CU_ASSERT(trig_weight(o.out, "sig_burn") > 350e6);
  host_remove();
}

static void test_repeat(void) {
  for (int i = 0; i < 3; i++) {
    char name[32];
    snprintf(name, sizeof(name), "repeat-%d.json", i);
    struct prof_options o = opts(name, i == 1 ? "timer" : "cpu", 500);
    CU_ASSERT_EQUAL_FATAL(prof_start(&o), 0);
    sig_burn(150000000u);
    CU_ASSERT_EQUAL(prof_stop(), 0);
    double w = trig_weight(o.out, "sig_burn");
    CU_ASSERT(w > 100e6 && w < 200e6);
  }
}

static volatile int spinning;
static void *spin(void *arg) {
  while (spinning)
    sig_burn(1000000u);
  return arg;
}

/* Every sample taken before prof_stop returns is in the output. */
static void test_stop_while_sampling(void) {
  struct prof_options o = opts("midsample.json", "cpu", 5000);
  pthread_t th[2];
  spinning = 1;
  CU_ASSERT_EQUAL_FATAL(prof_start(&o), 0);
  for (int i = 0; i < 2; i++)
    pthread_create(&th[i], NULL, spin, NULL);
  usleep(300000);
  trig_capture_begin();
  CU_ASSERT_EQUAL(prof_stop(), 0);
  const char *line = trig_capture_end();
  spinning = 0;
  for (int i = 0; i < 2; i++)
    pthread_join(th[i], NULL);
  unsigned long long taken = 0, kept = 1, dropped = 1;
  const char *p = strstr(line, "libprof: ");
  CU_ASSERT_FATAL(p != NULL);
  CU_ASSERT(sscanf(p, "libprof: %llu samples (%llu kept, %llu dropped",
                   &taken, &kept, &dropped) == 3);
  CU_ASSERT(taken > 200);
  /* Every handler that ran is either in the file or counted as a ring
   * drop (the collector fell behind); none vanished at the stop. */
  CU_ASSERT_EQUAL(taken, kept + dropped);
}

int main(void) {
  static const struct trig_test tests[] = {
      {"SIGPROF owned before start: real-time signal",
       test_owned_before_start},
      {"SIGPROF owned before start, itimer: stays off",
       test_owned_before_itimer},
      {"SIGPROF taken after start: moved at once, reported, left alone",
       test_taken_after_start},
      {"start/stop three times",
       test_repeat},
      {"stop while threads are sampled",
       test_stop_while_sampling},
      {NULL, NULL}};
  return trig_run_suite("signals", NULL, tests);
}
