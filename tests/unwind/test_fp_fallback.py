"""LIBPROF_UNWIND=fp through code without frame pointers (issue 11).

fp_libc (-O0 -fno-omit-frame-pointer) spends its time in cmp_keys, called
back by libc's qsort, which Debian builds without frame pointers: the
frame-pointer chain breaks in libc on every sample (before issue 11, 100%
unwind failures). Where it breaks, the unwinder now redoes the sample with
DWARF. Checks, in both modes: no unwind failure in the summary, every
sample whose leaf is cmp_keys has the whole chain
_start ... main > sort_round > qsort(_r) ... cmp_keys, and 98% of the weight
has main > sort_round under _start (the rest: samples in libc leaf
functions such as memcpy, which set up no frame, whose frame-pointer walk
ends early but looks complete).
usage: test_fp_fallback.py LIBPROF_SO FP_LIBC"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "pylib"))
from libprof_profile import Profile, in_order  # noqa: E402

FAILED = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILED.append(what)


def main():
    lib, prog = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="fpfb-")
    for mode in ("fp", "dwarf"):
        out = os.path.join(tmp, mode + ".json")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("LIBPROF_")}
        env.update(LD_PRELOAD=lib, LIBPROF_OUT=out, LIBPROF_UNWIND=mode,
                   LIBPROF_HZ="1000")
        r = subprocess.run([prog, "1.5"], env=env, capture_output=True,
                           text=True, timeout=60)
        line = [l for l in r.stderr.splitlines() if l.startswith("libprof:")]
        print("   ", line)
        m = re.search(r"(\d+) unwind failures", line[0] if line else "")
        check(m is not None and m.group(1) == "0",
              f"{mode}: no unwind failure in the summary")
        p = Profile(out)
        total = p.total()
        # qsort tail-calls qsort_r in glibc 2.36: either name will do.
        names = lambda s: ["qsort" if n.startswith("qsort") else n
                           for n in p.names(s)]
        leaf = [(names(s), w) for s, w in p.rows()
                if s and s[-1]["name"] == "cmp_keys"]
        full = ["_start", "main", "sort_round", "qsort", "cmp_keys"]
        bad = [n for n, _ in leaf if not in_order(n, full)]
        check(leaf and not bad,
              f"{mode}: {len(leaf)} cmp_keys stacks, all with the whole "
              f"chain ({len(bad)} without; first: {bad[:1]})")
        ok = p.weight_where(lambda n: in_order(n, full[:3]))
        check(ok >= 0.98 * total,
              f"{mode}: {100.0 * ok / total:.1f}% of the weight under "
              "_start ... main > sort_round (>= 98%)")
    if FAILED:
        print(f"{len(FAILED)} failed")
        sys.exit(1)


main()
