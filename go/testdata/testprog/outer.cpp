// C++ frames for the demangling check: a member of a namespaced class
// calls into Go, whose runtime.Callers then names it as the symbolizer
// demangled it. (Real C++ code uses libstdc++, as `new` does here; the
// demangler is libstdc++'s, found only when the program has it loaded.)
#include <stdint.h>

extern "C" void GoMiddle(int n); // exported by main.go

namespace ns {
struct Outer {
  __attribute__((noinline)) static void run(int n) {
    volatile int *keep = new int[n + 1];
    GoMiddle(n); // Outer::run call
    delete[] keep;
    __asm__ volatile("" ::: "memory");
  }
};
} // namespace ns

extern "C" void cpp_entry(int n) {
  ns::Outer::run(n);
  __asm__ volatile("" ::: "memory");
}
