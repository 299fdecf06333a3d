// C side of the test program. Built by cgo with -g -O2: no frame
// pointers, so the C frames unwind only by their CFI rules.
#include <pthread.h>
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>

#include "burn.h"
#include "_cgo_export.h"

#define NOINLINE __attribute__((noinline))

static inline __attribute__((always_inline)) uint64_t mix(uint64_t x) {
  x ^= x >> 31;
  x *= 0x7fb5d329728ea185ull;
  x ^= x >> 27;
  return x;
}

NOINLINE static uint64_t burn_c(uint64_t n) {
  uint64_t x = n;
  for (uint64_t i = 0; i < n; i++)
    x = mix(x + i); // burn_c loop
  return x;
}

NOINLINE static uint64_t burn_b(uint64_t n) {
  return burn_c(n) + 1; // burn_b call
}

NOINLINE uint64_t burn_a(uint64_t n) {
  return burn_b(n) + 1; // burn_a call
}

NOINLINE static uint64_t inner_b(uint64_t n) {
  return burn_c(n) + 3; // inner_b call
}

NOINLINE uint64_t inner_a(uint64_t n) {
  return inner_b(n) + 5; // inner_a call
}

NOINLINE static void outer_c2(int n) {
  GoMiddle(n); // outer_c2 call
  __asm__ volatile("" ::: "memory");
}

NOINLINE void outer_c(int n) {
  outer_c2(n); // outer_c call
  __asm__ volatile("" ::: "memory");
}

volatile int *crash_ptr;

NOINLINE static void crash_c(void) {
  *crash_ptr = 42; // crash_c fault
}

NOINLINE static void crash_b(void) {
  crash_c(); // crash_b call
  __asm__ volatile("" ::: "memory");
}

NOINLINE void crash_a(void) {
  crash_b(); // crash_a call
  __asm__ volatile("" ::: "memory");
}

NOINLINE static void *cthread_main(void *arg) {
  GoFromThread((int)(intptr_t)arg); // cthread_main call
  __asm__ volatile("" ::: "memory");
  return NULL;
}

void start_cthread(int n) {
  pthread_t t;
  pthread_create(&t, NULL, cthread_main, (void *)(intptr_t)n);
  pthread_join(t, NULL);
}

NOINLINE void stress_c(int n) {
  if (n % 4 == 0)
    GoStress(n); // Go -> C -> Go -> C in the stress run
  else
    burn_a(20000);
}

NOINLINE static void abort_b(void) {
  abort(); // abort_b call
}

NOINLINE void abort_a(void) {
  abort_b(); // abort_a call
  __asm__ volatile("" ::: "memory");
}
