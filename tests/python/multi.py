"""Python calls, through ctypes, a C library that runs minivm code, which
calls C (burn): Python, native and minivm frames in one stack.
argv[1]: the library; argv[2]: microseconds of C work."""
import ctypes
import sys

SCRIPT = b"""
fn main(us) {
  return work(us);
}

fn work(us) {
  return burn(us) > 0 - 1;
}
"""


def py_outer(lib, us):
    return lib.mvpy_run(SCRIPT, us)  # at:py_outer


def main():
    lib = ctypes.CDLL(sys.argv[1])
    lib.mvpy_run.restype = ctypes.c_int64
    lib.mvpy_run.argtypes = [ctypes.c_char_p, ctypes.c_int64]
    if py_outer(lib, int(sys.argv[2])) != 1:  # at:main
        sys.exit("mvpy_run failed")


main()  # at:<module>
