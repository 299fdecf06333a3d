"""Several runtimes in one stack: every sample taken in the C work that
minivm code (run by a C library that Python called through ctypes) asked
for has exactly these frames, in call order. Usage: test_multi.py
LIBPROF_SO LIBMVPY."""
import os
import sys

import pyprof

LIB, MVPY = sys.argv[1], sys.argv[2]
SRC = os.path.join(pyprof.HERE, "multi.py")
OUT = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                   f"libprof_pymulti_{os.getpid()}.json")
M = pyprof.marks(SRC)
NAMED = {"mvpy_run", "vm_run", "native_burn", "crunch_block"}
EXPECTED = ["python3.11", "libc.so.6", "python3.11",
            f"<module>:{M['<module>']}", f"main:{M['main']}"]


def shape(prof, stack):
    out = []
    for f in stack:
        if f.get("runtime") == "minivm":
            item = f"{f['name']}[minivm]"
        elif f["name"] in NAMED:
            item = f["name"]
        else:
            item = pyprof.shape(prof, [f], SRC)[0]
        if not out or out[-1] != item:
            out.append(item)
    return out


def main():
    try:
        pyprof.run(LIB, [pyprof.PYTHON, SRC, MVPY, "300000"], OUT,
                   env={"LIBPROF_HZ": "200"})
        prof = pyprof.load(OUT)
    finally:
        if os.path.exists(OUT):
            os.unlink(OUT)
    want = EXPECTED + [
        # the interpreter's call into ctypes is not between Python frames
        f"py_outer:{M['py_outer']}", "python3.11",
        "_ctypes.cpython-311-x86_64-linux-gnu.so",
        "libffi.so.8", "mvpy_run", "vm_run", "main[minivm]", "work[minivm]",
        "native_burn", "crunch_block"]
    rows = [(shape(prof, s), w) for s, w in prof.rows()
            if s and s[-1]["name"] == "crunch_block"]
    got = [g for g, _ in rows]
    wrong = [g for g in got if g != want]
    if not got or wrong:
        sys.exit(f"{len(wrong)} of {len(got)} stacks in crunch_block differ;"
                 f" expected\n  {want}\nfirst wrong\n  {wrong[:1]}")
    ms = sum(w for _, w in rows) / 1e6
    print(f"ok: {ms:.0f} ms of samples: {' > '.join(want)}")


main()
