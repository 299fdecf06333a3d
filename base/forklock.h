/* A lock in a fork child. Held (the atfork prepare handler took it, and
 * the forking thread is the child's only thread): unlock it, since
 * re-initialising a locked mutex is undefined (TSan reports every later
 * use). Not held (a _Fork child, where no handler ran, so any thread of
 * the parent may have held it): initialise it again. AS-safe in practice
 * (glibc's unlock and init of a normal mutex are plain stores). */
#ifndef PROF_BASE_FORKLOCK_H
#define PROF_BASE_FORKLOCK_H

#include <pthread.h>

static inline void prof__fork_relock(pthread_mutex_t *mu, int held) {
  if (held)
    pthread_mutex_unlock(mu);
  else
    pthread_mutex_init(mu, NULL);
}

#endif
