#include "profiler/thread_names.h"
#include "base/forklock.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A ring: under heavy thread churn the oldest names go first; threads
 * that old have long been seen (and named) by the collector. */
#define PROF__NAMES 4096

static struct {
  pthread_mutex_t mu;
  struct {
    int32_t tid;
    char name[16]; /* the kernel's comm is at most 15 bytes */
  } e[PROF__NAMES];
  size_t next;
} prof__names = {.mu = PTHREAD_MUTEX_INITIALIZER};

void prof__thread_names_reset(void) {
  pthread_mutex_lock(&prof__names.mu);
  memset(prof__names.e, 0, sizeof(prof__names.e));
  prof__names.next = 0;
  pthread_mutex_unlock(&prof__names.mu);
}

void prof__thread_names_note_exit(void) {
  char name[16];
  if (pthread_getname_np(pthread_self(), name, sizeof(name)) != 0)
    return;
  int32_t tid = (int32_t)syscall(SYS_gettid);
  pthread_mutex_lock(&prof__names.mu);
  size_t i = prof__names.next++ % PROF__NAMES;
  prof__names.e[i].tid = tid;
  memcpy(prof__names.e[i].name, name, sizeof(name));
  pthread_mutex_unlock(&prof__names.mu);
}

int prof__thread_names_get(int32_t tid, char *buf, size_t len) {
  int found = 0;
  pthread_mutex_lock(&prof__names.mu);
  for (size_t k = 0; k < PROF__NAMES && !found; k++) {
    size_t i = (prof__names.next - 1 - k) % PROF__NAMES; /* newest first */
    if (prof__names.e[i].tid == tid) {
      snprintf(buf, len, "%s", prof__names.e[i].name);
      found = 1;
    }
  }
  pthread_mutex_unlock(&prof__names.mu);
  return found;
}

void prof__thread_names_fork_prepare(void) {
  pthread_mutex_lock(&prof__names.mu);
}

void prof__thread_names_fork_parent(void) {
  pthread_mutex_unlock(&prof__names.mu);
}

void prof__thread_names_fork_child(int held) {
  prof__fork_relock(&prof__names.mu, held);
}
