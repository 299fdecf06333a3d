/* Wall host: for about 1 s, "sleeper" sleeps in nanosleep (restarting with
 * the remaining time on EINTR, which wall mode causes) and "reader" blocks
 * in read on a pipe that main writes at the end. Prints the EINTR count
 * and each thread's wall time ("wall NAME NS"). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "trig_util.h"

static int pipefd[2];
static long eintr;

__attribute__((noinline)) static void sleep_work(void) {
  struct timespec req = {1, 0}, rem;
  while (nanosleep(&req, &rem) != 0 && errno == EINTR) {
    eintr++;
    req = rem;
  }
}

__attribute__((noinline)) static void read_work(void) {
  char c;
  while (read(pipefd[0], &c, 1) < 0 && errno == EINTR)
    ;
}

struct waiter {
  const char *name;
  void (*wait)(void);
  uint64_t wall_ns;
};

static void *waiter_thread(void *arg) {
  struct waiter *w = arg;
  pthread_setname_np(pthread_self(), w->name);
  uint64_t t0 = trig_mono_ns();
  w->wait();
  w->wall_ns = trig_mono_ns() - t0;
  return NULL;
}

int main(void) {
  struct waiter sleeper = {"sleeper", sleep_work, 0};
  struct waiter reader = {"reader", read_work, 0};
  pthread_t a, b;
  struct timespec req = {1, 0}, rem;
  if (pipe(pipefd) != 0)
    return 1;
  pthread_create(&a, NULL, waiter_thread, &sleeper);
  pthread_create(&b, NULL, waiter_thread, &reader);
  while (nanosleep(&req, &rem) != 0 && errno == EINTR)
    req = rem; /* wall mode interrupts main's sleep too */
  if (write(pipefd[1], "x", 1) != 1)
    return 1;
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  printf("eintr %ld\nwall sleeper %llu\nwall reader %llu\n", eintr,
         (unsigned long long)sleeper.wall_ns,
         (unsigned long long)reader.wall_ns);
  return 0;
}
