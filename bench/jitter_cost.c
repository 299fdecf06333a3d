/* bench/jitter_cost (issue 11): the handler's extra work per sample when
 * periods are drawn at random (sigpath/jitter.c), measured outside the
 * handler on the calling thread, median of 9 rounds of 20000 calls:
 *   draw      the generator (xorshift64* in TLS);
 *   perf      ioctl(PERF_EVENT_IOC_PERIOD) on an enabled task-clock
 *             event of this thread (mode cpu);
 *   timer     timer_settime of a CPU-clock timer (mode timer);
 *   itimer    setitimer(ITIMER_PROF) (mode itimer).
 * The events never fire: their period is far longer than the run. */
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "sigpath/sampler.h"

#define CALLS 20000
#define ROUNDS 9

static struct prof__sampler smp = {.gen = 1, .period_ns = 10000000};
static int perf_fd;
static timer_t tm;
static volatile uint64_t sink;

static void op_draw(uint64_t p) { sink += prof__jitter_draw(&smp, 1) + p; }
static void op_perf(uint64_t p) { ioctl(perf_fd, PERF_EVENT_IOC_PERIOD, &p); }
static void op_timer(uint64_t p) {
  struct itimerspec its = {{0, 0}, {100, (long)(p % 1000000000u)}};
  timer_settime(tm, 0, &its, NULL);
}
static void op_itimer(uint64_t p) {
  struct itimerval it = {{0, 0}, {100, (long)(p % 1000000u)}};
  setitimer(ITIMER_PROF, &it, NULL);
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median_ns(void (*op)(uint64_t)) {
  double r[ROUNDS];
  for (int k = 0; k < ROUNDS; k++) {
    uint64_t t0 = prof__now_ns(CLOCK_THREAD_CPUTIME_ID);
    for (uint64_t i = 0; i < CALLS; i++)
      op(50000000000u + i);
    r[k] = (double)(prof__now_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / CALLS;
  }
  qsort(r, ROUNDS, sizeof(r[0]), cmp);
  return r[ROUNDS / 2];
}

int main(void) {
  struct perf_event_attr a;
  memset(&a, 0, sizeof(a));
  a.size = sizeof(a);
  a.type = PERF_TYPE_SOFTWARE;
  a.config = PERF_COUNT_SW_TASK_CLOCK;
  a.sample_period = 50000000000u; /* 50 s: never fires here */
  a.exclude_kernel = 1;
  perf_fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
  struct sigevent sev = {.sigev_notify = SIGEV_NONE};
  if (perf_fd < 0 ||
      timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &tm) != 0) {
    perror("jitter_cost");
    return 1;
  }
  printf("jitter_cost: per sample, median of %d x %d calls (ns)\n", ROUNDS,
         CALLS);
  printf("  draw   %7.1f\n", median_ns(op_draw));
  printf("  perf   %7.1f  (mode cpu: PERF_EVENT_IOC_PERIOD)\n",
         median_ns(op_perf));
  printf("  timer  %7.1f  (mode timer: timer_settime)\n", median_ns(op_timer));
  printf("  itimer %7.1f  (mode itimer: setitimer)\n", median_ns(op_itimer));
  return 0;
}
