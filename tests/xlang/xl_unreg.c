/* Unregister host: xl_unreg OUT PLUGIN
 * Starts a session (cpu, 2 kHz), dlopens PLUGIN, which registers runtime
 * "plug" and works 0.4 s inside a crossing; a second thread keeps
 * crossing with plug's id in the host's own code all along. Then the
 * plugin unregisters the runtime, is dlclosed (its hooks are unmapped:
 * a hook called now would crash), and the host works 0.3 s more
 * (host_after) before prof_stop. Prints what it saw, one fact a line. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "libprof.h"
#include "trig_util.h"

static int id;
static atomic_int crossing = 1;

/* noipa, and TRIG_BURN is no tail call: host_after stays on the stack. */
__attribute__((noipa)) static void host_after(void) { TRIG_BURN(300000000u); }

/* The hook of the runtimes registered after plug (never crossed). */
static void no_traceback(void *arg) { (void)arg; }

/* Crosses with plug's id before, during and after the unregister. */
static void *crosser(void *arg) {
  while (atomic_load(&crossing)) {
    prof_enter_managed(id);
    TRIG_BURN(500000u);
    prof_leave_managed(id);
  }
  return arg;
}

int main(int argc, char **argv) {
  struct prof_options o;
  long counts[5];
  pthread_t th;
  if (argc < 3)
    return 64;
  memset(&o, 0, sizeof(o));
  o.out = argv[1];
  o.mode = "cpu";
  o.hz = 2000;
  o.quiet = -1;
  if (prof_start(&o) != 0)
    return 2;
  void *h = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
  int (*reg)(void) = h ? (int (*)(void))dlsym(h, "plug_register") : NULL;
  void (*run)(double) = h ? (void (*)(double))dlsym(h, "plug_run") : NULL;
  int (*unreg)(long *) = h ? (int (*)(long *))dlsym(h, "plug_unregister")
                           : NULL;
  if (!reg || !run || !unreg || (id = reg()) < 0)
    return 3;
  pthread_create(&th, NULL, crosser, NULL);
  run(0.4);
  printf("unregister %d\n", unreg(counts));
  printf("traceback_calls %ld\nsymbolized %ld\nbatch_ends %ld\n", counts[0],
         counts[1], counts[2]);
  printf("unregister_in_symbolizer %ld\n", counts[3]);
  printf("stop_in_symbolizer %ld\n", counts[4]);
  printf("dlclose %d\n", dlclose(h));
  printf("unregister_again %d\n", prof_runtime_unregister(id));
  int id2 = prof_runtime_register(0, "plug2", no_traceback,
                                  NULL, NULL);
  printf("same_id_during_session %d\n", id2 == id);
  host_after();
  atomic_store(&crossing, 0);
  pthread_join(th, NULL);
  printf("stop %d\n", prof_stop());
  prof_runtime_unregister(id2);
  int id3 = prof_runtime_register(0, "plug3", no_traceback,
                                  NULL, NULL);
  printf("same_id_after_session %d\n", id3 == id);
  return 0;
}
