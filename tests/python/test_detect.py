"""Which processes get Python frames.
Usage: test_detect.py LIBPROF_SO FAKE_3_12 FAKE_3_11_0.

- Another CPython version (a fake that exports _PyRuntime and Py_Version,
  read at session start) is profiled native-only, with one line saying so.
- 3.11.0 (before the fix of gh-99729) is refused the same way.
- A process that is not Python (bash) gets no Python line and a profile.
- Debian's python3.11 gets Python frames and no such line; with
  LIBPROF_PYTHON=0 native frames only; LIBPROF_PYTHON=maybe is refused
  with one line, and the program's exit status is unchanged."""
import os
import sys

import pyprof

LIB, FAKE312, FAKE3110 = sys.argv[1:4]
OUT = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                   f"libprof_pydetect_{os.getpid()}.json")


def profile(args, env=None):
    try:
        p = pyprof.run(LIB, args, OUT, env)
        prof = pyprof.load(OUT)
    finally:
        if os.path.exists(OUT):
            os.unlink(OUT)
    lines = [ln for ln in p.stderr.splitlines() if "Python" in ln]
    runtimes = {f.get("runtime") for s, _ in prof.rows() for f in s}
    return lines, runtimes


def expect(args, lines, python, env=None):
    got_lines, runtimes = profile(args, env)
    if got_lines != lines or ("python" in runtimes) != python:
        sys.exit(f"{args}: expected lines {lines}, python frames {python};"
                 f" got {got_lines}, runtimes {sorted(map(str, runtimes))}")


def refused(v):
    return [f"libprof: Python {v} is not supported (3.11.1 or later 3.11"
            " only): profiling its native frames only"]


expect([FAKE312], refused("3.12.0"), False)
expect([FAKE3110], refused("3.11.0"), False)
expect(["/bin/bash", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"],
       [], False)
BUSY = [pyprof.PYTHON, "-c", "sum(i*i for i in range(3000000))"]
expect(BUSY, [], True)
expect(BUSY, [], False, {"LIBPROF_PYTHON": "0"})
p = pyprof.run(LIB, [pyprof.PYTHON, "-c", "raise SystemExit(3)"], OUT,
               {"LIBPROF_PYTHON": "maybe"}, check=False)
want = ['libprof: LIBPROF_PYTHON="maybe" is invalid: expected 0 or 1; '
        'profiling is off']
if p.returncode != 3 or p.stderr.splitlines() != want or os.path.exists(OUT):
    sys.exit(f"LIBPROF_PYTHON=maybe: status {p.returncode}, {p.stderr!r}")
print("ok")
