"""A host built with -fsanitize=address (or thread) is profiled through
LD_PRELOAD at 1 kHz: the sanitizer runtime first in the preload list, then
libprof.so. The host must exit 0 with its own output and no sanitizer
report, and the profile must hold its recursion under main and under its
threads. Before the handler's stack copy was made invisible to sanitizers,
ASan killed such a host at its first sample (its memcpy interceptor saw the
stack's redzones).

Under TSan ("thread" as 4th argument) a valid profile is all that can be
asked: TSan defers an asynchronous signal to its next safe point and then
hands the handler the context saved at arrival, whose stack has moved on
since, so most unwinds fail. So it checks exit, no report, and that all
three threads were sampled in the host's code."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "pylib"))
from libprof_profile import Profile, in_order  # noqa: E402

runtime, lib, host, san = sys.argv[1:5]
out = os.path.join(tempfile.mkdtemp(), "san.json")
env = dict(os.environ, LD_PRELOAD=f"{runtime} {lib}", LIBPROF_OUT=out,
           LIBPROF_HZ="1000")
r = subprocess.run([host], env=env, capture_output=True, text=True,
                   timeout=120)
print(r.stderr.strip())
assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
assert r.stdout.startswith("ok "), r.stdout
assert "Sanitizer" not in r.stderr, r.stderr[-2000:]
p = Profile(out)
names = [p.names(s) for s, _ in p.rows()]
if san == "thread":
    sampled = [t for t, rows in p.threads
               if any("san_recurse" in p.names(s) for s, _ in rows)]
    print(f"{len(names)} samples, threads in san_recurse: {sampled}")
    assert len(p.threads) == 3, [t for t, _ in p.threads]
    assert len(sampled) == 3, sampled
else:
    main_rows = [n for n in names
                 if in_order(n, ["main", "san_recurse", "san_leaf"])]
    thread_rows = [n for n in names if in_order(n, ["san_thread",
                                                     "san_recurse"])]
    print(f"{len(main_rows)} main samples, {len(thread_rows)} thread samples")
    assert main_rows, "no sample of main -> san_recurse -> san_leaf"
    assert thread_rows, "no sample of san_thread -> san_recurse"
print("1 passed, 0 failed")
