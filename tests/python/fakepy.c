/* A program that looks like another CPython to libprof: it exports
 * _PyRuntime and Py_Version (FAKE_VERSION, fixed at build time: libprof
 * reads it in its constructor, before main), then burns CPU. libprof must say once that it profiles native frames only. */
char _PyRuntime[0x28b20];
const unsigned long Py_Version = FAKE_VERSION;

__attribute__((noinline)) static double burn(long n) {
  volatile double x = 0;
  for (long i = 0; i < n; i++)
    x += (double)i * 0.5;
  return x;
}

int main(void) {
  return burn(20000000) < 0;
}
