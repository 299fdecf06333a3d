"""Bad LIBPROF_* values: one clear line naming the variable and what it
accepts, detected at start; the program runs normally with its exit status
unchanged, and no output file appears. (The host is bash, not dash: dash
leaves with _exit, which runs no atexit handler, so no profile either.)"""
import glob
import os
import subprocess
import sys
import tempfile

lib = sys.argv[1]
tmp = tempfile.mkdtemp()
out = os.path.join(tmp, "p.json")
ro = "/sys/kernel/p.json" if os.geteuid() == 0 else "/proc/p.json"
CASES = [
    ({"LIBPROF_HZ": "abc"}, "LIBPROF_HZ", "an integer from 1 to 100000"),
    ({"LIBPROF_HZ": "0"}, "LIBPROF_HZ", "an integer from 1 to 100000"),
    ({"LIBPROF_HZ": "100001"}, "LIBPROF_HZ", "an integer from 1 to 100000"),
    ({"LIBPROF_MAX_DEPTH": "0"}, "LIBPROF_MAX_DEPTH", "1 to 4096"),
    ({"LIBPROF_MAX_DEPTH": "lots"}, "LIBPROF_MAX_DEPTH", "1 to 4096"),
    ({"LIBPROF_MODE": "turbo"}, "LIBPROF_MODE", "cpu, timer, itimer or wall"),
    ({"LIBPROF_FORMAT": "png"}, "LIBPROF_FORMAT", "speedscope, d3"),
    ({"LIBPROF_OUT": os.path.join(tmp, "missing", "p.json")}, "LIBPROF_OUT",
     "existing, writable directory"),
    ({"LIBPROF_OUT": ro}, "LIBPROF_OUT", "cannot create files"),
]
passed = failed = 0
for extra, var, accepts in CASES:
    env = dict(os.environ, LD_PRELOAD=lib, LIBPROF_OUT=out)
    env.update(extra)
    r = subprocess.run(["bash", "-c", "echo running; exit 3"], env=env,
                       capture_output=True, text=True, timeout=30)
    lines = [l for l in r.stderr.splitlines() if l.startswith("libprof:")]
    ok = (r.returncode == 3 and r.stdout.strip() == "running" and
          len(lines) == 1 and var in lines[0] and accepts in lines[0] and
          "profiling is off" in lines[0] and
          not glob.glob(os.path.join(tmp, "*")) and
          not os.path.exists(extra.get("LIBPROF_OUT", out)))
    print(("ok   " if ok else "FAIL ") + str(extra), "->", lines)
    passed, failed = passed + ok, failed + (not ok)
# A good setting still profiles (the checks above are not vacuous).
env = dict(os.environ, LD_PRELOAD=lib, LIBPROF_OUT=out, LIBPROF_QUIET="1")
r = subprocess.run(["bash", "-c", "exit 3"], env=env, timeout=30)
ok = r.returncode == 3 and os.path.exists(out)
print(("ok   " if ok else "FAIL ") + "valid settings write", out)
passed, failed = passed + ok, failed + (not ok)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
