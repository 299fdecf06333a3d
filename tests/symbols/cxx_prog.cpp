// C++ names: the time goes to ns::Class::method(int), whose frame must be
// demangled. Built -O2 -g; it allocates through operator new so that it
// always needs libstdc++ (where libprof finds __cxa_demangle at run
// time). Usage: cxx_prog SECONDS
#include <cstdlib>
#include <ctime>

namespace ns {
class Class {
 public:
  __attribute__((noinline)) unsigned method(int x);
  unsigned state = 1;
};

unsigned Class::method(int x) {
  unsigned h = state + (unsigned)x;
  for (int i = 0; i < 20000; i++)
    h = h * 2654435761u + (unsigned)i; // METHOD_LINE
  state = h;
  return h;
}
}  // namespace ns

static double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  double secs = argc > 1 ? std::atof(argv[1]) : 1.0;
  ns::Class *c = new ns::Class;
  unsigned sink = 0;
  for (int i = 0; cpu_seconds() < secs; i++)
    sink += c->method(i); // CALL_LINE
  delete c;
  return (int)(sink & 0);
}
