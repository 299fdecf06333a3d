"""Interpreter shutdown with daemon threads still running, sampled in wall
mode at 5 kHz, 10 times: every run exits 0 and writes a profile with
Python frames of the daemon threads. Usage: test_shutdown.py LIBPROF_SO."""
import os
import sys

import pyprof

LIB = sys.argv[1]
SRC = os.path.join(pyprof.HERE, "shutdown.py")
OUT = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                   f"libprof_pyshutdown_{os.getpid()}.json")

for i in range(10):
    try:
        p = pyprof.run(LIB, [pyprof.PYTHON, SRC], OUT, check=False,
                       env={"LIBPROF_MODE": "wall", "LIBPROF_HZ": "5000"},
                       timeout=120)
        if p.returncode != 0:
            sys.exit(f"run {i}: exit status {p.returncode}: {p.stderr}")
        prof = pyprof.load(OUT)
    finally:
        if os.path.exists(OUT):
            os.unlink(OUT)
    names = {f["name"] for s, _ in prof.rows() for f in s
             if f.get("runtime") == "python"}
    if not {"hasher", "spinner"} <= names:
        sys.exit(f"run {i}: Python frames {sorted(names)}")
print("ok: 10 shutdowns")
