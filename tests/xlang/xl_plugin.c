/* A plugin (dlopen'ed, then dlclose'd) that brings its own managed
 * runtime "plug": a traceback hook reporting two fake managed PCs, a
 * symbolizer naming them, and a crossing around CPU work. */
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "libprof.h"

#define PC_WORK 0x1010u
#define PC_OUTER 0x2020u

static int plug_id = -1;
static _Atomic long tb_calls, sym_calls, sym_ends;
static _Atomic int nested = 1; /* unregister called inside the symbolizer */
static _Atomic int nested_stop = 1; /* prof_stop called there */

static void plug_traceback(void *p) {
  struct prof_traceback_arg *a = p;
  const uintptr_t pcs[] = {PC_WORK, PC_OUTER};
  uintptr_t n = 0;
  for (; n < 2 && n < a->max; n++)
    a->buf[n] = pcs[n];
  if (n < a->max)
    a->buf[n] = 0;
  atomic_fetch_add(&tb_calls, 1);
}

static void plug_symbolizer(void *p) {
  struct prof_symbolizer_arg *a = p;
  if (a->pc == 0) {
    atomic_fetch_add(&sym_ends, 1);
    return;
  }
  if (atomic_fetch_add(&sym_calls, 1) == 0) { /* on the collector thread */
    atomic_store(&nested, prof_runtime_unregister(plug_id));
    atomic_store(&nested_stop, prof_stop()); /* would wait for itself */
  }
  a->func = a->pc == PC_WORK ? "plug_work" : a->pc == PC_OUTER ? "plug_outer"
                                                               : NULL;
  a->file = "plug.src";
  a->lineno = a->pc == PC_WORK ? 10 : 20;
}

static double plug_cpu(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static double plug_burn(double secs) {
  volatile double x = 0;
  double end = plug_cpu() + secs;
  while (plug_cpu() < end)
    for (int i = 0; i < 10000; i++)
      x += i * 0.5;
  return x;
}

int plug_register(void) {
  plug_id = prof_runtime_register(0, "plug", plug_traceback, NULL,
                                  plug_symbolizer);
  return plug_id;
}

void plug_run(double secs) {
  prof_enter_managed(plug_id);
  plug_burn(secs);
  prof_leave_managed(plug_id);
}

/* Unregisters; counts[] = traceback calls, symbolizer calls for a PC,
 * end-of-batch calls, all as they are when unregister has returned, and
 * what an unregister and a prof_stop inside the symbolizer returned. */
int plug_unregister(long counts[5]) {
  int r = prof_runtime_unregister(plug_id);
  counts[0] = atomic_load(&tb_calls);
  counts[1] = atomic_load(&sym_calls);
  counts[2] = atomic_load(&sym_ends);
  counts[3] = atomic_load(&nested);
  counts[4] = atomic_load(&nested_stop);
  return r;
}
