/* A host built with a sanitizer (-fsanitize=address or thread), profiled
 * through LD_PRELOAD. Its frames hold arrays, so under ASan the stack
 * between them is poisoned redzones: exactly what the handler's stack
 * copy must read without the sanitizer noticing. Two threads of its own
 * go through libprof's pthread_create wrapper and the sanitizer's.
 * Prints "ok <checksum>" and exits 0. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static uint64_t cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

__attribute__((noinline)) static uint64_t san_leaf(uint64_t x) {
  volatile unsigned char pad[48];
  memset((void *)pad, (int)x, sizeof(pad));
  for (int i = 0; i < 256; i++)
    x = x * 6364136223846793005ull + pad[i % 48];
  return x;
}

__attribute__((noinline)) static uint64_t san_recurse(int depth, uint64_t x) {
  volatile uint64_t local[8];
  for (int i = 0; i < 8; i++)
    local[i] = x + (uint64_t)i;
  if (depth == 0)
    return san_leaf(x) + local[x & 7];
  return san_recurse(depth - 1, x ^ local[depth & 7]) + 1;
}

/* Burns `ms` of this thread's CPU time in the recursion. */
static uint64_t san_burn(int ms) {
  uint64_t end = cpu_ns() + (uint64_t)ms * 1000000u, sum = 0;
  while (cpu_ns() < end)
    sum += san_recurse(12, sum);
  return sum;
}

static void *san_thread(void *arg) {
  return (void *)(uintptr_t)san_burn((int)(intptr_t)arg);
}

int main(void) {
  pthread_t t[2];
  void *r[2];
  for (int i = 0; i < 2; i++)
    if (pthread_create(&t[i], NULL, san_thread, (void *)(intptr_t)200) != 0)
      return 1;
  uint64_t sum = san_burn(300);
  for (int i = 0; i < 2; i++) {
    pthread_join(t[i], &r[i]);
    sum += (uint64_t)(uintptr_t)r[i];
  }
  printf("ok %llu\n", (unsigned long long)(sum & 0xffff));
  return 0;
}
