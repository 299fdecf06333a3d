"""A C program embedding libpython3.11 and calling prof_start itself sees
its own C frames around the Python ones, in call order; its thread that
never runs Python has native frames only.
Usage: test_embed.py EMBED_PROGRAM."""
import os
import subprocess
import sys

import pyprof

PROG = sys.argv[1]
OUT = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                   f"libprof_pyembed_{os.getpid()}.json")
LIBPY = "libpython3.11.so.1.0"
EXPECTED = ["embed", "libc.so.6", "main", "run_script", LIBPY,
            "<module>@<embedded>", "work@<embedded>", "host_call",
            "host_callback", "callback@<embedded>", "probe@<embedded>",
            LIBPY, "libc.so.6"]
NATIVE = ["libc.so.6", "native_worker", "libc.so.6"]  # never ran Python


def shape(prof, stack):
    """pyprof.shape, with the program's own frames by function name."""
    mods = prof.doc["libprof"]["modules"]
    out = []
    for f in stack:
        item = pyprof.shape(prof, [f], None)[0]
        own = "module" in f and mods[f["module"]]["path"] == PROG
        if own and f["name"] in ("main", "run_script", "host_call",
                                 "host_callback", "native_worker"):
            item = f["name"]
        if not out or out[-1] != item:
            out.append(item)
    return out


def main():
    try:
        p = subprocess.run([PROG, OUT], capture_output=True, text=True,
                           env=dict(os.environ, LD_PRELOAD=""))
        if p.returncode != 0:
            sys.exit(f"{PROG} failed: {p.stderr}")
        prof = pyprof.load(OUT)
    finally:
        if os.path.exists(OUT):
            os.unlink(OUT)
    for mark, want in (("probe", EXPECTED), ("native_worker", NATIVE)):
        got = [shape(prof, s) for s, _ in prof.rows()
               if mark in prof.names(s)]
        if got != [want]:
            sys.exit(f"expected one sample\n  {want}\ngot\n  {got}")
        print("ok:", " > ".join(want))


main()
