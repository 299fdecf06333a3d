"""prof_runtime_unregister (issue 9): a plugin's runtime is sampled,
unregistered and dlclosed while a session runs.

usage: test_unregister.py XL_UNREG XL_PLUGIN
Checks: the host survives (a hook called after the dlclose would crash
it), unregister returned 0 after the collector symbolized the runtime's
PCs and ended the batch, a second unregister is refused, the id is not
reused before the session ends (and is after), sampling went on after
the unload, and the runtime's frames in the profile have the symbolizer's
names (not the plug+0x... fallback)."""
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
    host, plugin = sys.argv[1], sys.argv[2]
    out = os.path.join(tempfile.mkdtemp(prefix="xlang-"), "unreg.json")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIBPROF_")}
    r = subprocess.run([host, out, plugin], env=env, capture_output=True,
                       text=True, timeout=50)
    print(r.stdout + r.stderr)
    check(r.returncode == 0, f"host exits 0 (got {r.returncode})")
    kv = dict(l.split() for l in r.stdout.splitlines() if l.strip())
    check(kv.get("unregister") == "0", "prof_runtime_unregister returns 0")
    check(int(kv.get("traceback_calls", 0)) > 0,
          "the traceback hook ran before the unregister")
    check(int(kv.get("symbolized", 0)) >= 2 and kv.get("batch_ends") == "1",
          "before it returned, the symbolizer named the runtime's PCs and "
          "got its pc == 0 call")
    check(kv.get("unregister_in_symbolizer") == "-14",
          "unregister inside the symbolizer (collector thread): PROF_ESTATE")
    check(kv.get("stop_in_symbolizer") == "-14",
          "prof_stop inside the symbolizer: PROF_ESTATE, not a deadlock")
    check(kv.get("dlclose") == "0", "the plugin is unloaded")
    check(kv.get("unregister_again") == "-1", "a second unregister: EINVAL")
    check(kv.get("same_id_during_session") == "0",
          "the id is not reused while the session runs")
    check(kv.get("same_id_after_session") == "1", "... and is after it")
    check(kv.get("stop") == "0", "prof_stop returns 0")
    summary = [l for l in r.stderr.splitlines() if l.startswith("libprof:")]
    check(len(summary) == 1 and
          re.search(r"\d+ unknown runtime\)", summary[0]) is not None,
          "crossings with the unregistered id count as unknown runtime")
    p = Profile(out)
    work = p.weight_where(lambda n: in_order(n, ["plug_outer", "plug_work"]))
    check(work > 0.2e9, f"plug_outer -> plug_work named: {work / 1e9:.2f} s")
    frames = {(f["name"], f.get("runtime"), f.get("file"), f.get("line"))
              for f in p.frames}
    check({("plug_work", "plug", "plug.src", 10),
           ("plug_outer", "plug", "plug.src", 20)} <= frames,
          "they carry the runtime's name, file and line")
    check(any(f[0] == "plug_run" and f[1] == "native" for f in frames),
          "the unloaded plugin's own native frame is named too")
    fallback = [n for s, _ in p.rows() for n in p.names(s)
                if n.startswith("plug+0x")]
    check(not fallback, f"no runtime frame left unnamed: {fallback[:3]}")
    after = p.weight_where(lambda n: "host_after" in n)
    check(after > 0.1e9, f"sampled after the unload: {after / 1e9:.2f} s")
    print(f"xlang_unregister: {len(FAILED)} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
