"""LIBPROF_MAX_DEPTH, LIBPROF_UNWIND and LIBPROF_STACK_BYTES, each checked
against the exact shape of a known recursion (main -> level_a ->
recurse x (DEPTH+1) -> spin)."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "pylib"))
from libprof_profile import Profile  # noqa: E402

lib, prog = sys.argv[1], sys.argv[2]
tmp = tempfile.mkdtemp()
results = []


def run(depth, **env):
    out = os.path.join(tmp, "o%d.json" % len(results))
    e = dict(os.environ, LD_PRELOAD=lib, LIBPROF_OUT=out, LIBPROF_HZ="500")
    e.update(env)
    r = subprocess.run([prog, str(depth), "0.6"], env=e, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r
    return Profile(out), r.stderr


def check(name, cond, detail=""):
    results.append(cond)
    print(("ok   " if cond else "FAIL ") + name, detail)


def spin_stacks(p):
    return [(p.names(s), w) for s, w in p.rows() if p.names(s)[-1:] == ["spin"]]


# Full depth: DWARF unwinding gives the whole chain in order.
p, _ = run(40)
st = spin_stacks(p)
full = [n for n, _ in st if n[n.index("main"):] ==
        ["main", "level_a"] + ["recurse"] * 41 + ["spin"]] if st else []
check("dwarf: main > level_a > recurse x41 > spin", len(full) == len(st) > 0)

# LIBPROF_MAX_DEPTH=20: innermost 20 frames kept under a [truncated] root.
p, err = run(40, LIBPROF_MAX_DEPTH="20")
st = spin_stacks(p)
ok = all(n == ["[truncated]"] + ["recurse"] * 19 + ["spin"] for n, _ in st)
check("max depth 20: [truncated] > recurse x19 > spin", ok and len(st) > 0,
      st[:1])
check("max depth: summary counts truncated samples",
      " 0 truncated" not in err, err.strip())

# LIBPROF_UNWIND=fp: the frame-pointer walk breaks in libc, which has no
# frame pointers (before issue 11 the stack ended there, marked
# truncated, with spin's caller skipped since spin is a leaf without a
# frame); the sample is then unwound with DWARF: the whole chain.
p, _ = run(40, LIBPROF_UNWIND="fp")
st = spin_stacks(p)
good = sum(w for n, w in st if n[0] != "[truncated]" and "main" in n and
           n[n.index("main"):] == ["main", "level_a"] + ["recurse"] * 41 + ["spin"])
check("fp: main > level_a > recurse x41 > spin (DWARF where the chain "
      "breaks)", st and good >= 0.9 * sum(w for _, w in st), good)

# LIBPROF_STACK_BYTES: 1 KiB cannot hold a 400-deep stack; 256 KiB can.
p, err = run(400, LIBPROF_STACK_BYTES="1024")
st = spin_stacks(p)
check("stack bytes 1024: deep stacks are cut and marked",
      st and all(n[0] == "[truncated]" and "main" not in n for n, _ in st),
      err.strip())
p, err = run(400, LIBPROF_STACK_BYTES="262144", LIBPROF_MAX_DEPTH="1024")
st = spin_stacks(p)
check("stack bytes 262144: the 400-deep stack is complete",
      st and all("main" in n and n.count("recurse") == 401 for n, _ in st),
      err.strip())

print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
sys.exit(0 if all(results) else 1)
