/* dlclose() interposition: before the host unloads an object, the
 * collector drains and unwinds every sample published so far, while the
 * object is still mapped and in the link map. Symbolization itself can
 * wait until the end: the module cache keeps each object's own file image
 * and identity (path, build-id, bias), and debug files are found by
 * build-id, so names stay right after the unload.
 *
 * Active when libprof is preloaded or linked into the program (its dlclose
 * comes first in the global scope); a libprof dlopen'ed RTLD_LOCAL sees no
 * dlclose calls, and unloaded objects then rely on the module cache alone.
 * Never called in a signal handler. */
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

#include "libprof.h"
#include "profiler/collector.h"
#include "profiler/session.h"

typedef int (*prof__dlclose_fn)(void *);

static _Atomic(prof__dlclose_fn) prof__real_dlclose;

static prof__dlclose_fn prof__next_dlclose(void) {
  prof__dlclose_fn f = atomic_load(&prof__real_dlclose);
  if (!f) {
    f = (prof__dlclose_fn)dlsym(RTLD_NEXT, "dlclose");
    atomic_store(&prof__real_dlclose, f);
  }
  return f;
}

/* The session is pinned the way the signal handler pins it: the count is
 * raised before prof__active is read, and prof_stop waits for the count
 * to drop to zero after clearing prof__active, so the collector cannot be
 * freed under us. The wait needs no lock the collector could want: the
 * real dlclose, and with it the loader's lock, comes afterwards. */
static void prof__sync_before_unload(void) {
  atomic_fetch_add(&prof__handlers_running, 1);
  struct prof__sampler *sp = atomic_load(&prof__active);
  if (sp) {
    struct prof__session *s =
        (struct prof__session *)((char *)sp -
                                 offsetof(struct prof__session, sampler));
    prof__collector_sync(s); /* returns at once on the collector itself */
  }
  atomic_fetch_sub(&prof__handlers_running, 1);
}

PROF_EXTERN int dlclose(void *handle) {
  prof__dlclose_fn real = prof__next_dlclose();
  if (!real) {
    errno = ENOSYS;
    return -1;
  }
  prof__sync_before_unload();
  return real(handle);
}
