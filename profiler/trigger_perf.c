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
#include <sys/stat.h>
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

/* The identity of our events: every anonymous-inode file (perf events,
 * eventfd, epoll, ...) shares one inode, so st_dev/st_ino only say "an
 * anonymous inode"; PERF_EVENT_IOC_ID then gives the event's id, unique
 * in the system. The ioctl is only sent to an anonymous inode, never to
 * a device file of the host's that might interpret its number. */
static dev_t prof__anon_dev;
static ino_t prof__anon_ino;

static int prof__perf_id(int fd, uint64_t *id) {
  return ioctl(fd, PERF_EVENT_IOC_ID, id) == 0 ? 0 : -errno;
}

int prof__perf_arm(pid_t tid, int sig, uint64_t period_ns, int *out,
                   uint64_t *id) {
  struct stat st;
  int fd = prof__perf_open(tid, period_ns);
  if (fd < 0)
    return -errno;
  int r = fstat(fd, &st) != 0 ? -errno : prof__perf_id(fd, id);
  if (r == 0)
    r = prof__perf_route(fd, tid, sig);
  if (r != 0) {
    close(fd);
    return r;
  }
  prof__anon_dev = st.st_dev; /* the same for every event */
  prof__anon_ino = st.st_ino;
  *out = fd;
  return 0;
}

int prof__perf_owned(int fd, uint64_t id) {
  struct stat st;
  uint64_t cur;
  return fstat(fd, &st) == 0 && st.st_dev == prof__anon_dev &&
         st.st_ino == prof__anon_ino && prof__perf_id(fd, &cur) == 0 &&
         cur == id;
}

/* Closing releases the event; the kernel waits for an overflow signal in
 * flight (irq_work) before freeing it, so none arrives after this. A
 * descriptor that is no longer our event (the program closed ours, and
 * maybe opened its own file under the number) is left alone. */
int prof__perf_disarm(int fd, uint64_t id) {
  if (!prof__perf_owned(fd, id))
    return -EBADF;
  close(fd);
  return 0;
}

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
