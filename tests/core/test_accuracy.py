"""Accuracy: a -O2 -fomit-frame-pointer program under LD_PRELOAD spends a
known 70/30 split between two qsort comparators. The measured split must be
within 5 points, the total weight within 10% of getrusage's CPU time, and
every sample in a comparator must read main -> qsort_r -> comparator."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "pylib"))
from libprof_profile import Profile, in_order  # noqa: E402

lib, prog = sys.argv[1], sys.argv[2]
mode = sys.argv[3] if len(sys.argv) > 3 else "cpu"
out = os.path.join(tempfile.mkdtemp(), "acc.json")
env = dict(os.environ, LD_PRELOAD=lib, LIBPROF_OUT=out, LIBPROF_HZ="250",
           LIBPROF_MODE=mode)
r = subprocess.run([prog, "3"], env=env, capture_output=True, text=True,
                   timeout=60)
assert r.returncode == 0, r
print(r.stderr.strip())
cpu_ns = int(r.stdout.split("cpu_ns")[1])
p = Profile(out)
total = p.total()
s70 = p.weight_where(lambda n: "cmp_seventy" in n)
s30 = p.weight_where(lambda n: "cmp_thirty" in n)
share = 100.0 * s70 / (s70 + s30)
print(f"cpu {cpu_ns/1e9:.3f}s profile {total/1e9:.3f}s split {share:.1f}/"
      f"{100-share:.1f} in-comparator {(s70+s30)/total:.1%}")
assert abs(share - 70.0) <= 5.0, share
assert abs(total - cpu_ns) <= 0.10 * cpu_ns, (total, cpu_ns)
# glibc's qsort tail-calls qsort_r, so no qsort frame exists at run time.
for stack, w in p.rows():
    names = p.names(stack)
    for cmp in ("cmp_seventy", "cmp_thirty"):
        if cmp in names:
            assert in_order(names, ["main", "qsort_r", cmp]), names
            assert names[-1] == cmp or names.index(cmp) >= len(names) - 2, names
    assert "mrand48_r" not in names, names  # symbol sizes respected
assert (s70 + s30) >= 0.90 * total, (s70 + s30, total)
print("1 passed, 0 failed")
