"""Runs the dlopen-churn stress program under the profiler at the highest
rate and validates the profile it writes at exit."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "pylib"))
from libprof_profile import Profile  # noqa: E402

prog, plugin, secs = sys.argv[1], sys.argv[2], sys.argv[3]
out = os.path.join(tempfile.mkdtemp(), "stress.json")
env = dict(os.environ, LIBPROF_OUT=out, LIBPROF_HZ="10000")
r = subprocess.run([prog, plugin, secs], env=env, capture_output=True,
                   text=True, timeout=float(secs) + 60)
print(r.stdout.strip())
print(r.stderr.strip())
assert r.returncode == 0, r.returncode
p = Profile(out)
names = set()
deepest = 0
for stack, w in p.rows():
    n = p.names(stack)
    names.update(n)
    deepest = max(deepest, sum(1 for x in n if x.startswith("deep")))
assert p.total() > 0
assert "burner" in names and "churner" in names, sorted(names)[:40]
assert "churn_work" in names, "samples in the unloaded plugin are named"
assert deepest >= 31, deepest  # burner's 31-deep recursion unwound
print("1 passed, 0 failed")
