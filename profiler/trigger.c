#include "profiler/trigger.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static int prof__itimer_set(long period_us) {
  struct itimerval it;
  it.it_interval.tv_sec = period_us / 1000000;
  it.it_interval.tv_usec = period_us % 1000000;
  it.it_value = it.it_interval;
  return setitimer(ITIMER_PROF, &it, NULL);
}

int prof__trigger_start(struct prof__session *s) {
  if (s->cfg.mode != PROF__MODE_ITIMER) {
    snprintf(s->mode_note, sizeof(s->mode_note),
             "mode %s is not available in this build",
             prof__mode_names[s->cfg.mode]);
    return PROF_ETRIGGER;
  }
  long us = 1000000L / s->cfg.hz;
  if (prof__itimer_set(us > 0 ? us : 1) != 0) {
    snprintf(s->mode_note, sizeof(s->mode_note), "setitimer: %s",
             strerror(errno));
    return PROF_ETRIGGER;
  }
  return 0;
}

void prof__trigger_stop(struct prof__session *s) {
  if (s->cfg.mode == PROF__MODE_ITIMER)
    prof__itimer_set(0);
}
