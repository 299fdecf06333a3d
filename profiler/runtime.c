#include "sigpath/runtime.h"

#include <pthread.h>
#include <string.h>

static pthread_mutex_t prof__runtimes_lock = PTHREAD_MUTEX_INITIALIZER;
static int prof__nruntimes;

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
  prof__runtimes_context[id] = context;
  atomic_fetch_or_explicit(&prof__runtimes_live, 1u << id,
                           memory_order_release);
  atomic_store_explicit(&r->live, 1, memory_order_release);
  prof__nruntimes = id + 1;
  pthread_mutex_unlock(&prof__runtimes_lock);
  return id;
}
