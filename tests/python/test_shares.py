"""Accuracy: each function's share of the profile is within 2 points of
the share of CPU time it measured itself (time.thread_time()).
Usage: test_shares.py LIBPROF_SO."""
import json
import os
import sys

import pyprof

LIB = sys.argv[1]
SRC = os.path.join(pyprof.HERE, "shares.py")
OUT = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                   f"libprof_pyshares_{os.getpid()}.json")


def main():
    try:
        p = pyprof.run(LIB, [pyprof.PYTHON, SRC, "2"], OUT,
                       env={"LIBPROF_HZ": "1000"})
        prof = pyprof.load(OUT)
    finally:
        if os.path.exists(OUT):
            os.unlink(OUT)
    spent = json.loads(p.stdout)
    weights = {f: 0 for f in spent}
    for stack, w in prof.rows():
        names = {fr["name"] for fr in stack if fr.get("runtime") == "python"}
        for f in spent:
            weights[f] += w if f in names else 0
    total_t, total_w = sum(spent.values()), sum(weights.values())
    if total_w == 0:
        sys.exit("no sample names any of the functions")
    bad = []
    for f in spent:
        want, got = 100 * spent[f] / total_t, 100 * weights[f] / total_w
        print(f"{f}: measured {want:.1f}%, profiled {got:.1f}%")
        if abs(want - got) > 2:
            bad.append(f)
    if bad:
        sys.exit(f"shares off by more than 2 points: {bad}")


main()
