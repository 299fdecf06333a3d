"""Exact stacks where unwinding used to break (issue 11), in both
LIBPROF_UNWIND modes.

usage: test_stacks.py LIBPROF_SO PROG WHAT LEAF=FN,FN,...[,LEAF] ...

Runs PROG 1.5 WHAT (1.5 s of CPU) at 1 kHz under each mode and checks: no
unwind failure in the summary; every sample whose leaf is LEAF has the
frames FN,... in that order (gaps allowed: libc's inner frames differ
between versions; a name starting with "qsort" counts as qsort, since
glibc 2.36's qsort tail-calls qsort_r); and 98% of the weight lies under
one of the chains' first three frames (the rest: samples in libc leaf
functions that set up no frame, whose frame-pointer walk ends early but
looks complete).

The workloads of stacks_prog (WHAT):
  qsort     -O0 frame-pointer code called back by libc's qsort, which
            Debian builds without frame pointers: before issue 11 the fp
            walk failed on every sample (it now redoes the sample with
            DWARF where the chain breaks);
  sigframe  samples inside a signal handler (through the kernel's signal
            frame and glibc's __restore_rt), and a call chain mixing
            functions built with and without frame pointers."""
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


def names(p, s):
    return ["qsort" if n.startswith("qsort") else n for n in p.names(s)]


def one_mode(lib, prog, what, chains, mode, tmp):
    out = os.path.join(tmp, mode + ".json")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LIBPROF_")}
    env.update(LD_PRELOAD=lib, LIBPROF_OUT=out, LIBPROF_UNWIND=mode,
               LIBPROF_HZ="1000")
    r = subprocess.run([prog, "1.5", what], env=env, capture_output=True,
                       text=True, timeout=60)
    line = [l for l in r.stderr.splitlines() if l.startswith("libprof:")]
    print("   ", line)
    m = re.search(r"(\d+) unwind failures", line[0] if line else "")
    check(m is not None and m.group(1) == "0",
          f"{mode}: no unwind failure in the summary")
    p = Profile(out)
    for leaf, chain in chains.items():
        rows = [names(p, s) for s, _ in p.rows()
                if s and s[-1]["name"] == leaf]
        bad = [n for n in rows if not in_order(n, chain)]
        check(rows and not bad,
              f"{mode}: {len(rows)} {leaf} stacks, all with "
              f"{' > '.join(chain)} ({len(bad)} without; first: {bad[:1]})")
    ok = p.weight_where(lambda n: any(
        in_order(n, c[:3]) for c in chains.values()))
    check(ok >= 0.98 * p.total(),
          f"{mode}: {100.0 * ok / p.total():.1f}% of the weight under "
          "the chains' roots (>= 98%)")


def main():
    lib, prog, what = sys.argv[1:4]
    chains = {}
    for a in sys.argv[4:]:
        leaf, fns = a.split("=")
        chains[leaf] = fns.split(",")
    tmp = tempfile.mkdtemp(prefix="stacks-")
    for mode in ("fp", "dwarf"):
        one_mode(lib, prog, what, chains, mode, tmp)
    if FAILED:
        print(f"{len(FAILED)} failed")
        sys.exit(1)


main()
