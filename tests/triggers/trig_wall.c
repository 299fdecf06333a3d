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
static uint64_t wall_sleeper, wall_reader;
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

static void *sleeper(void *arg) {
  pthread_setname_np(pthread_self(), "sleeper");
  uint64_t t0 = trig_mono_ns();
  sleep_work();
  wall_sleeper = trig_mono_ns() - t0;
  return arg;
}

static void *reader(void *arg) {
  pthread_setname_np(pthread_self(), "reader");
  uint64_t t0 = trig_mono_ns();
  read_work();
  wall_reader = trig_mono_ns() - t0;
  return arg;
}

int main(void) {
  pthread_t a, b;
  struct timespec req = {1, 0}, rem;
  if (pipe(pipefd) != 0)
    return 1;
  pthread_create(&a, NULL, sleeper, NULL);
  pthread_create(&b, NULL, reader, NULL);
  while (nanosleep(&req, &rem) != 0 && errno == EINTR)
    req = rem; /* wall mode interrupts main's sleep too */
  if (write(pipefd[1], "x", 1) != 1)
    return 1;
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  printf("eintr %ld\nwall sleeper %llu\nwall reader %llu\n", eintr,
         (unsigned long long)wall_sleeper, (unsigned long long)wall_reader);
  return 0;
}
