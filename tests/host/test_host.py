"""Host safety tests (issue 9): signal ownership, process endings, the
summary line. Each runs a real program under LD_PRELOAD=libprof.so.

usage: test_host.py TEST --lib libprof.so --bin DIR_OF_host_sig
TEST: sort sigdfl sigown endsig endown exit summary abort vfork mp"""
import argparse
import glob
import hashlib
import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "pylib"))
from checks import check, finish  # noqa: E402
from libprof_profile import Profile  # noqa: E402

ARGS = None
TMP = tempfile.mkdtemp(prefix="host-")


def env(out=None, preload=True, **kv):
    e = {k: v for k, v in os.environ.items() if not k.startswith("LIBPROF_")}
    e["LC_ALL"] = "C"
    if preload:
        e["LD_PRELOAD"] = ARGS.lib
    if out:
        e["LIBPROF_OUT"] = out
    e.update({k: str(v) for k, v in kv.items()})
    return e


def host(*argv):
    return [os.path.join(ARGS.bin, "host_sig")] + [str(a) for a in argv]


def run(argv, out=None, preload=True, stdout=None, **kv):
    r = subprocess.run(argv, env=env(out, preload, **kv), stdout=stdout or
                       subprocess.PIPE, stderr=subprocess.PIPE, timeout=100)
    err = r.stderr.decode(errors="replace")
    for l in err.splitlines():
        if l.startswith("libprof:"):
            print("   ", l[:300])
    return r, err


def summary(err):
    return [l for l in err.splitlines() if l.startswith("libprof: ")]


def burn_weight(path, fn="host_burn"):
    """Weight (ns) of samples with fn on the stack; -1 if not a profile."""
    try:
        p = Profile(path)
    except (OSError, ValueError, KeyError, AssertionError):
        return -1
    return p.weight_where(lambda names: fn in names)


def total_weight(path):
    try:
        return Profile(path).total()
    except (OSError, ValueError, KeyError, AssertionError):
        return -1


# ---- GNU sort: installs a cleanup handler for SIGPROF -----------------------
def t_sort():
    inp = os.path.join(TMP, "in.txt")
    with open(inp, "w") as f:
        seq = subprocess.run(["seq", "1", "3000000"], stdout=subprocess.PIPE,
                             check=True).stdout
        subprocess.run(["shuf", "--random-source=/dev/zero"], input=seq,
                       stdout=f, check=True)
    ref_out = os.path.join(TMP, "ref.txt")
    with open(ref_out, "wb") as f:
        ref, _ = run(["sort", inp], preload=False, stdout=f)
    want = hashlib.sha256(open(ref_out, "rb").read()).hexdigest()
    for mode in ("cpu", "timer", "itimer", "wall"):
        out = os.path.join(TMP, f"sort-{mode}.json")
        got_out = os.path.join(TMP, f"sort-{mode}.txt")
        with open(got_out, "wb") as f:
            r, err = run(["sort", inp], out, stdout=f, LIBPROF_HZ=1000,
                         LIBPROF_MODE=mode)
        got = hashlib.sha256(open(got_out, "rb").read()).hexdigest()
        check(r.returncode == ref.returncode,
              f"sort {mode}: exit status {r.returncode}, unprofiled "
              f"{ref.returncode}")
        check(got == want, f"sort {mode}: same output as unprofiled")
        w = total_weight(out)
        check(w > 0, f"sort {mode}: valid profile with samples "
              f"({w / 1e6:.0f} ms)")
        # sort closes stderr at exit: the summary comes through the dup.
        lines = summary(err)
        check(len(lines) == 1 and "signal 27 taken by the program" in
              lines[0], f"sort {mode}: one summary line saying the signal "
              "moved")


# ---- a host that sets SIGPROF to SIG_DFL / SIG_IGN, then works --------------
def t_sigdfl():
    for mode in ("cpu", "itimer"):
        for how in ("dfl", "ign"):
            out = os.path.join(TMP, f"{how}-{mode}.json")
            r, err = run(host(how, 0.6), out, LIBPROF_HZ=1000,
                         LIBPROF_MODE=mode)
            check(r.returncode == 0 and r.stdout == b"survived\n",
                  f"{how} {mode}: survives (status {r.returncode})")
            w = burn_weight(out)
            check(w > 0.3e9, f"{how} {mode}: sampling went on after the "
                  f"move ({w / 1e6:.0f} ms of host_burn)")


# ---- a host with its own SIGPROF handler gets only its own signals ----------
def t_sigown():
    for mode in ("cpu", "timer", "itimer", "wall"):
        out = os.path.join(TMP, f"own-{mode}.json")
        r, err = run(host("own", 0.8), out, LIBPROF_HZ=1000,
                     LIBPROF_MODE=mode)
        lines = r.stdout.decode().splitlines()
        print("   ", lines)
        check(r.returncode == 0, f"own {mode}: exit status 0")
        check(lines[:1] == ["before: SIG_DFL"],
              f"own {mode}: a query before shows the program's SIG_DFL, "
              "not libprof's handler")
        check(lines[1:2] == ["after: host"],
              f"own {mode}: a query after shows the program's handler")
        check(lines[2:3] == ["host handler calls: 5"],
              f"own {mode}: the handler got exactly its own 5 signals")
        check(burn_weight(out) > 0.5e9,
              f"own {mode}: sampled on another signal afterwards")


# ---- SIGTERM, SIGINT, SIGHUP at their default disposition -------------------
def wait_ready(p):
    """The host prints "ready" after 0.3 s of CPU in host_burn."""
    return p.stdout.readline()


def t_endsig():
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        out = os.path.join(TMP, f"end-{sig.name}.json")
        # A shell's background job starts with SIGINT ignored: the test
        # is about the default disposition, so the host gets it.
        p = subprocess.Popen(host("busy"), env=env(out, LIBPROF_HZ=1000),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             preexec_fn=lambda: signal.signal(
                                 sig, signal.SIG_DFL))
        check(wait_ready(p) == b"ready\n", f"{sig.name}: host started")
        p.send_signal(sig)
        _, err = p.communicate(timeout=60)
        err = err.decode()
        print("   ", err.strip()[:300])
        check(p.returncode == -sig, f"{sig.name}: killed by the signal "
              f"(status {p.returncode}, unprofiled {-sig})")
        check(burn_weight(out) > 0.25e9, f"{sig.name}: profile written")
        check(f"written at {sig.name}" in err, f"{sig.name}: summary says so")
        check(not glob.glob(out + "*tmp*") and
              not glob.glob(os.path.join(TMP, ".*")),
              f"{sig.name}: no temporary file left")


# ---- a host with its own SIGTERM handler keeps its behaviour ----------------
def t_endown():
    out = os.path.join(TMP, "endown.json")
    p = subprocess.Popen(host("termh"), env=env(out, LIBPROF_HZ=1000),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = p.stdout.readline()
    check(first == b"term: SIG_DFL\n",
          f"query shows the program's SIG_DFL ({first!r})")
    check(wait_ready(p) == b"ready\n", "host started")
    p.send_signal(signal.SIGTERM)
    rest, err = p.communicate(timeout=60)
    check(rest == b"host handled SIGTERM\n" and p.returncode == 7,
          f"the host's handler ran and exited 7 (status {p.returncode})")
    # The handler ends with _exit(7), which writes the profile.
    check(burn_weight(out) > 0.25e9, "profile written at the host's _exit")


# ---- _exit and _Exit --------------------------------------------------------
def t_exit():
    for call, code in (("_exit", 3), ("_Exit", 4)):
        out = os.path.join(TMP, f"{call}.json")
        r, err = run(host(call, 0.4), out, LIBPROF_HZ=1000)
        check(r.returncode == code, f"{call}({code}): status {r.returncode}")
        check(burn_weight(out) > 0.2e9, f"{call}: profile written")
        check(f"written at {call}" in err, f"{call}: summary says so")


# ---- the summary when the program closes stderr ------------------------------
def t_summary():
    out = os.path.join(TMP, "closeerr.json")
    r, err = run(host("closeerr", 0.2), out)
    check(r.returncode == 0 and len(summary(err)) == 1,
          "program that closes fd 2: the summary still shows")
    log = os.path.join(TMP, "libprof.log")
    r, err = run(host("closeerr", 0.2), out, LIBPROF_LOG=log)
    text = open(log).read() if os.path.exists(log) else ""
    check(r.returncode == 0 and not summary(err) and
          len(summary(text)) == 1 and out in text,
          "LIBPROF_LOG=path: the summary goes there, not to stderr")
    # coreutils sort on a file closes stderr at exit too
    inp = os.path.join(TMP, "small.txt")
    with open(inp, "w") as f:
        f.write("".join(f"{i}\n" for i in range(100000, 0, -1)))
    r, err = run(["sort", "-o", os.path.join(TMP, "small.out"), inp],
                 os.path.join(TMP, "sortsmall.json"))
    check(r.returncode == 0 and len(summary(err)) == 1,
          "coreutils sort -o: the summary shows")
    bad = os.path.join(TMP, "no-such-dir", "x.log")
    r, err = run(host("closeerr", 0.1), os.path.join(TMP, "bad.json"),
                 LIBPROF_LOG=bad)
    check(r.returncode == 0 and len(summary(err)) == 1 and
          "LIBPROF_LOG" in err and not os.path.exists(
              os.path.join(TMP, "bad.json")),
          "unusable LIBPROF_LOG: one line naming it, status unchanged, "
          "no profile")


# ---- abort: documented as not caught ----------------------------------------
def t_abort():
    d = tempfile.mkdtemp(dir=TMP)
    out = os.path.join(d, "abort.json")
    r, err = run(host("abort", 0.2), out, LIBPROF_HZ=1000)
    check(r.returncode == -signal.SIGABRT,
          f"abort: killed by SIGABRT as unprofiled ({r.returncode})")
    check(os.listdir(d) == [], "abort: no profile and no partial file "
          "(documented: abort is not caught)")


# ---- vfork children calling _exit touch nothing -----------------------------
def t_vfork():
    d = tempfile.mkdtemp(dir=TMP)
    out = os.path.join(d, "vfork.json")
    r, err = run(host("vfork", 0.3), out, LIBPROF_HZ=1000)
    check(r.returncode == 0 and r.stdout == b"vfork ok\n",
          f"vfork: 200 children _exit(5), parent fine ({r.returncode})")
    check(os.listdir(d) == ["vfork.json"] and burn_weight(out) > 0.1e9,
          f"vfork: only the parent's profile ({os.listdir(d)})")
    check(len(summary(err)) == 1, "vfork: one summary line")


# ---- python multiprocessing workers end with os._exit -----------------------
MP = """
import multiprocessing as mp
def burn(n):
    t = 0
    for i in range(n):
        t += i * i
    return t
if __name__ == "__main__":
    mp.set_start_method("fork")
    pool = mp.Pool(2)
    print(len(pool.map(burn, [1500000] * 4)))
    pool.close()  # workers leave their loop and end with os._exit
    pool.join()
"""


def t_mp():
    py = "/usr/bin/python3.11"
    if not os.path.exists(py):
        print("skip: no", py)
        return
    d = tempfile.mkdtemp(dir=TMP)
    script = os.path.join(d, "mp.py")
    open(script, "w").write(MP)
    out = os.path.join(d, "mp.json")
    r, err = run([py, script], out, LIBPROF_HZ=500)
    check(r.returncode == 0 and r.stdout == b"4\n", "multiprocessing ran")
    files = sorted(glob.glob(os.path.join(d, "mp*.json")))
    workers = [f for f in files if f != out]
    print("   ", [os.path.basename(f) for f in files])
    check(os.path.exists(out), "parent's profile written")
    check(len(workers) == 2, f"each of the 2 workers wrote its own file "
          f"({len(workers)})")
    for w in workers:
        check(total_weight(w) > 0, f"{os.path.basename(w)}: valid, with "
              "samples")
    check(sum("written at _exit" in l for l in summary(err)) == 2,
          "two summaries say the worker wrote at _exit")


# ---- Go: its runtime takes every signal ------------------------------------
def t_go():
    import shutil
    if not shutil.which("go"):
        print("skip: no go toolchain")
        return
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gohost")
    exe = os.path.join(TMP, "gohost")
    genv = dict(os.environ, GOPROXY="off", GOFLAGS="-mod=mod",
                GOCACHE=os.path.join(TMP, "gocache"),
                GOPATH=os.path.join(TMP, "gopath"), CGO_ENABLED="1")
    subprocess.run(["go", "build", "-o", exe, "."], cwd=src, env=genv,
                   check=True, timeout=300)
    r, err = run([exe], os.path.join(TMP, "go.json"), LIBPROF_HZ=1000)
    check(r.returncode == 0 and r.stdout == b"true\n",
          f"Go program runs as unprofiled ({r.returncode})")
    want = ("libprof: SAMPLES STOPPED: the program took signal 27 (the Go "
            "runtime takes every signal); Go programs are profiled through "
            "the libprof Go package (docs/go.md)")
    check(summary(err) == [want], "one clear line about Go")


TESTS = {"go": t_go, "sort": t_sort, "sigdfl": t_sigdfl, "sigown": t_sigown,
         "endsig": t_endsig, "endown": t_endown, "exit": t_exit,
         "summary": t_summary, "abort": t_abort, "vfork": t_vfork,
         "mp": t_mp}


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("test", choices=sorted(TESTS))
    ap.add_argument("--lib", required=True)
    ap.add_argument("--bin", required=True)
    ARGS = ap.parse_args()
    TESTS[ARGS.test]()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
