#include "profiler/runtime.h"

#include <pthread.h>
#include <string.h>

static struct prof__runtime prof__runtimes[PROF_MAX_RUNTIMES];
static pthread_mutex_t prof__runtimes_lock = PTHREAD_MUTEX_INITIALIZER;
static int prof__nruntimes;

PROF__SIGSAFE const struct prof__runtime *prof__runtime_get(int id) {
  if (id < 0 || id >= PROF_MAX_RUNTIMES)
    return NULL;
  const struct prof__runtime *r = &prof__runtimes[id];
  return atomic_load_explicit(&r->live, memory_order_acquire) ? r : NULL;
}

int prof_runtime_register(int version, const char *name,
                          void (*traceback)(void *), void (*context)(void *),
                          void (*symbolizer)(void *)) {
  if (version != 0)
    return PROF_EVERSION;
  if (!name || !name[0] || strlen(name) >= sizeof(prof__runtimes[0].name) ||
      strcmp(name, "native") == 0 || strcmp(name, "libprof") == 0 ||
      !traceback)
    return PROF_EINVAL;
  pthread_mutex_lock(&prof__runtimes_lock);
  int id = prof__nruntimes;
  if (id == PROF_MAX_RUNTIMES) {
    pthread_mutex_unlock(&prof__runtimes_lock);
    return PROF_ETOOMANY;
  }
  struct prof__runtime *r = &prof__runtimes[id];
  strcpy(r->name, name);
  r->traceback = traceback;
  r->context = context;
  r->symbolizer = symbolizer;
  atomic_store_explicit(&r->live, 1, memory_order_release);
  prof__nruntimes = id + 1;
  pthread_mutex_unlock(&prof__runtimes_lock);
  return id;
}
