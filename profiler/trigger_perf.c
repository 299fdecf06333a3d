/* Mode cpu: one perf_event software task-clock event per thread.
 *
 * Why perf: setitimer and POSIX CPU timers are checked at the kernel tick
 * (250/s here), so they cannot deliver more samples than that and they
 * quantize weights; the task clock is an hrtimer per thread that fires
 * after exactly period_ns of that thread's CPU time, at any rate up to
 * 100 kHz. No ring buffer is mapped: only the overflow signal is wanted. */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "profiler/trigger.h"

static int prof__perf_open(pid_t tid, uint64_t period_ns) {
  struct perf_event_attr a;
  memset(&a, 0, sizeof(a));
  a.size = sizeof(a);
  a.type = PERF_TYPE_SOFTWARE;
  a.config = PERF_COUNT_SW_TASK_CLOCK;
  a.sample_period = period_ns;
  a.disabled = 1;        /* enabled once the signal is routed         */
  a.exclude_kernel = 1;  /* allowed at perf_event_paranoid 2; the
                            weight still counts kernel time (clock.c) */
  a.exclude_hv = 1;
  a.wakeup_events = 1;   /* every overflow signals                    */
  return (int)syscall(SYS_perf_event_open, &a, tid, -1, -1,
                      PERF_FLAG_FD_CLOEXEC);
}

/* Routes the overflow signal to tid itself (F_OWNER_TID: the default owner
 * is the process, which would let the kernel pick any thread). */
static int prof__perf_route(int fd, pid_t tid, int sig) {
  struct f_owner_ex own = {F_OWNER_TID, tid};
  int fl;
  if (fcntl(fd, F_SETOWN_EX, &own) != 0 || fcntl(fd, F_SETSIG, sig) != 0 ||
      (fl = fcntl(fd, F_GETFL)) < 0 ||
      fcntl(fd, F_SETFL, fl | O_ASYNC) != 0 ||
      ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) != 0)
    return -errno;
  return 0;
}

int prof__perf_arm(pid_t tid, int sig, uint64_t period_ns, int *out) {
  int fd = prof__perf_open(tid, period_ns);
  if (fd < 0)
    return -errno;
  int r = prof__perf_route(fd, tid, sig);
  if (r != 0) {
    close(fd);
    return r;
  }
  *out = fd;
  return 0;
}

/* Closing releases the event; the kernel waits for an overflow signal in
 * flight (irq_work) before freeing it, so none arrives after this. */
void prof__perf_disarm(int fd) { close(fd); }

/* F_SETSIG alone is not enough: an overflow being sent right now (under
 * the owner's read lock) may have read the old number already. Setting
 * the owner again takes that lock for writing, so when it returns every
 * send either is done (its signal is pending, for the caller to discard)
 * or will read the new number. Unlike close, no wait for the thread to
 * run (closing an event of a busy thread took ~10 ms per thread here). */
int prof__perf_resignal(int fd, pid_t tid, int sig) {
  struct f_owner_ex own = {F_OWNER_TID, tid};
  if (fcntl(fd, F_SETSIG, sig) != 0 || fcntl(fd, F_SETOWN_EX, &own) != 0)
    return -errno;
  return 0;
}
