"""Exact merged stacks of CPython 3.11 samples taken at known points.

Usage: test_stacks.py LIBPROF_SO CASE. Runs cases.py CASE under
/usr/bin/python3.11 with libprof preloaded and the timer nearly silent
(1 Hz): the sample the case raises from probe() must have exactly the
expected frames, Python ones with their lines, in call order, with the
interpreter's own frames between Python frames hidden."""
import os
import sys

import pyprof

LIB, CASE = sys.argv[1], sys.argv[2]
SRC = os.path.join(pyprof.HERE, "cases.py")
M = pyprof.marks(SRC)
START = ["python3.11", "libc.so.6", "python3.11"]  # _start .. Py_RunMain
TOP = [f"<module>:{M['<module>']}", f"main:{M['main']}"]
LEAF = [f"probe:{M['probe']}", "python3.11", "libc.so.6"]  # pthread_kill


def at(name, where=None):
    return f"{name}:{M[where or name]}"


EXPECTED = {
    "sorted": [at("case_sorted"), at("keyfn")],
    "json": [at("case_json"), "dumps@__init__.py",
             "JSONEncoder.encode@encoder.py",
             "JSONEncoder.iterencode@encoder.py",
             "_json.cpython-311-x86_64-linux-gnu.so", at("default_cb")],
    "map": [at("case_map"), at("mapped")],
    "generator": [at("case_generator"), at("gen")],
    "asyncio": [at("case_asyncio"), "run@runners.py", "Runner.run@runners.py",
                "BaseEventLoop.run_until_complete@base_events.py",
                "BaseEventLoop.run_forever@base_events.py",
                "BaseEventLoop._run_once@base_events.py",
                "Handle._run@events.py",
                "_asyncio.cpython-311-x86_64-linux-gnu.so",
                at("middle"), at("leaf")],
    "sleep": [at("case_sleep"), at("sleeper")],
    "subinterp": [at("case_subinterp"),
                  "_xxsubinterpreters.cpython-311-x86_64-linux-gnu.so",
                  "<module>@<string>", "sub_fn@<string>"],
    "exec": [at("case_exec"), "<module>@<dyn>", "dyn_fn@<dyn>"],
    "ctypes": [at("case_ctypes"), "_ctypes.cpython-311-x86_64-linux-gnu.so",
               "libffi.so.8", "libc.so.6", "libffi.so.8",
               "_ctypes.cpython-311-x86_64-linux-gnu.so",
               at("case_ctypes.<locals>.<lambda>", "lambda"), at("compare")],
}


def expected(case):
    if case == "sorted_keep":  # the interpreter's frames are kept
        return (START + TOP + [at("case_sorted"), "python3.11", at("keyfn")]
                + LEAF)
    if case == "thread":
        return (["libc.so.6", "python3.11", "Thread._bootstrap@threading.py",
                 "Thread._bootstrap_inner@threading.py",
                 "Thread.run@threading.py", at("worker")] + LEAF)
    if case in ("sleep", "subinterp"):  # time.sleep; pthread_kill in sub_fn
        return START + TOP + EXPECTED[case] + ["python3.11", "libc.so.6"]
    return START + TOP + EXPECTED[case] + LEAF


def main():
    out = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                       f"libprof_pystack_{CASE}_{os.getpid()}.json")
    try:
        keep = "1" if CASE.endswith("_keep") else "0"
        pyprof.run(LIB, [pyprof.PYTHON, SRC, CASE.replace("_keep", "")], out,
                   env={"LIBPROF_HZ": "1", "LIBPROF_KEEP_INTERNALS": keep})
        prof = pyprof.load(out)
    finally:
        if os.path.exists(out):
            os.unlink(out)
    mark = {"sleep": "sleeper", "subinterp": "sub_fn"}.get(CASE, "probe")
    got = [pyprof.shape(prof, s, SRC) for s, _ in prof.rows()
           if mark in prof.names(s)]
    want = expected(CASE)
    if got != [want]:
        sys.exit(f"{CASE}: expected one sample\n  {want}\ngot\n  {got}")
    print(f"{CASE}: ok: {' > '.join(want)}")


main()
