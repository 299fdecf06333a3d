/* prof_runtime_register / prof_runtime_unregister (see runtime.h). */
#include "profiler/runtime.h"
#include "base/forklock.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "profiler/collector.h"
#include "profiler/session.h"
#include "profiler/threads.h"
#include "profiler/trigger.h"

static pthread_mutex_t prof__runtimes_lock = PTHREAD_MUTEX_INITIALIZER;

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
  int id = 0;
  while (id < PROF_MAX_RUNTIMES && prof__runtimes[id].state != PROF__RT_FREE)
    id++;
  if (id == PROF_MAX_RUNTIMES) {
    pthread_mutex_unlock(&prof__runtimes_lock);
    return PROF_ETOOMANY;
  }
  struct prof__runtime *r = &prof__runtimes[id];
  strcpy(r->name, name);
  r->traceback = traceback;
  r->context = context;
  r->symbolizer = symbolizer;
  r->state = PROF__RT_LIVE;
  prof__runtimes_context[id] = context;
  atomic_fetch_or_explicit(&prof__runtimes_live, 1u << id,
                           memory_order_release);
  atomic_store_explicit(&r->live, 1, memory_order_release);
  pthread_mutex_unlock(&prof__runtimes_lock);
  return id;
}

const char *prof__runtime_name(int id) {
  if ((unsigned)id >= PROF_MAX_RUNTIMES ||
      prof__runtimes[id].state == PROF__RT_FREE)
    return NULL;
  return prof__runtimes[id].name;
}

/* Unpublishes id; returns its symbolizer through *sym. The hook pointers
 * stay in the slot until prof__unregister_locked is done with them. */
static int prof__unpublish(int id, void (**sym)(void *)) {
  struct prof__runtime *r = &prof__runtimes[id];
  pthread_mutex_lock(&prof__runtimes_lock);
  int live = r->state == PROF__RT_LIVE;
  if (live) {
    /* seq_cst: ordered before our reads of prof__handlers_running, as a
     * handler's increment of it is before its read of `live`. */
    atomic_store(&r->live, 0);
    atomic_fetch_and(&prof__runtimes_live, ~(1u << id));
    prof__runtimes_context[id] = NULL;
    *sym = r->symbolizer;
  }
  pthread_mutex_unlock(&prof__runtimes_lock);
  return live ? 0 : PROF_EINVAL;
}

struct prof__retire_job {
  int id;
  void (*symbolizer)(void *);
};

static void prof__retire_job(struct prof__agg *a, void *arg) {
  struct prof__retire_job *j = arg;
  prof__retire_symbolize(a, j->id, j->symbolizer);
}

/* Under the session lock: s is the running session or NULL. */
static int prof__unregister_locked(struct prof__session *s, void *arg) {
  struct prof__retire_job j = {*(int *)arg, NULL};
  int r = prof__unpublish(j.id, &j.symbolizer);
  if (r != 0)
    return r;
  /* A handler that saw the runtime live is still counted here; once the
   * count reads 0 every such handler has returned from the hook. */
  prof__handlers_wait();
  if (s && j.symbolizer) /* samples already taken keep their names */
    prof__collector_call(s, prof__retire_job, &j);
  struct prof__runtime *rt = &prof__runtimes[j.id];
  pthread_mutex_lock(&prof__runtimes_lock);
  rt->traceback = rt->context = rt->symbolizer = NULL;
  rt->state = s ? PROF__RT_RETIRED : PROF__RT_FREE;
  pthread_mutex_unlock(&prof__runtimes_lock);
  return 0;
}

int prof_runtime_unregister(int id) {
  if ((unsigned)id >= PROF_MAX_RUNTIMES)
    return PROF_EINVAL;
  /* The collector runs symbolizers while prof_stop holds the session
   * lock: called from there, waiting for that lock would never end. */
  if (prof__threads_self_internal())
    return PROF_ESTATE;
  return prof__session_locked(prof__unregister_locked, &id);
}

void prof__runtimes_session_end(void) {
  prof__retire_forget();
  pthread_mutex_lock(&prof__runtimes_lock);
  for (int id = 0; id < PROF_MAX_RUNTIMES; id++)
    if (prof__runtimes[id].state == PROF__RT_RETIRED)
      prof__runtimes[id].state = PROF__RT_FREE;
  pthread_mutex_unlock(&prof__runtimes_lock);
}

void prof__runtimes_fork_prepare(void) {
  pthread_mutex_lock(&prof__runtimes_lock);
}

void prof__runtimes_fork_parent(void) {
  pthread_mutex_unlock(&prof__runtimes_lock);
}

void prof__runtimes_fork_child(int held) {
  prof__fork_relock(&prof__runtimes_lock, held);
}
