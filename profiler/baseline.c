/* The CPU time every thread had when a session started (see struct
 * prof__baseline): read before the signal is armed, so that each thread's
 * first sample weighs only its CPU time since the start. */
#include <dirent.h>
#include <stdlib.h>
#include <time.h>

#include "base/time.h"
#include "sigpath/sampler.h"

static struct prof__baseline *prof__baseline_slot(struct prof__baseline *b,
                                                  int32_t tid) {
  uint32_t h = (uint32_t)tid * 2654435761u;
  for (uint32_t i = 0; i < PROF__BASELINE_SLOTS; i++) {
    struct prof__baseline *e = &b[(h + i) & (PROF__BASELINE_SLOTS - 1)];
    if (e->tid == tid || e->tid == 0)
      return e;
  }
  return NULL;
}

void prof__baseline_fill(struct prof__sampler *s) {
  DIR *d = opendir("/proc/self/task");
  struct dirent *de;
  if (!d)
    return;
  while ((de = readdir(d)) != NULL) {
    int32_t tid = atoi(de->d_name);
    struct timespec ts;
    if (tid <= 0 || clock_gettime(prof__tid_cpuclock(tid), &ts) != 0)
      continue;
    struct prof__baseline *e = prof__baseline_slot(s->baseline, tid);
    if (e) {
      e->tid = tid;
      e->cpu_ns = prof__ts_ns(&ts);
    }
  }
  closedir(d);
}

