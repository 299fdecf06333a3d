/* Helpers shared by the trigger test hosts. */
#ifndef TRIG_UTIL_H
#define TRIG_UTIL_H

#include <stdint.h>

/* This thread's CPU time in ns. */
uint64_t trig_thread_cpu_ns(void);
/* Monotonic time in ns. */
uint64_t trig_mono_ns(void);
/* Burns CPU in user mode until this thread has used `ns` more CPU time
 * (reads the clock only every ~0.1 ms, so almost no time is in the
 * kernel). Returns a value to keep the loop alive. */
double trig_burn_ns(uint64_t ns);

/* Burns in the calling function's own frame: not a tail call, so the
 * caller stays on the stack (the tests look for it by name). */
extern volatile double trig_sink;
#define TRIG_BURN(ns) (trig_sink += trig_burn_ns(ns))

#endif
