"""Trigger tests (issue 4) that run host programs under libprof.

usage: test_triggers.py TEST --lib libprof.so --bin DIR_OF_HOSTS
TEST: rate fairness late wall fork bigfork spawn exec jitter formats
Each test prints what it measured and exits non-zero on the first failed
check."""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "pylib"))
from libprof_profile import Profile, in_order  # noqa: E402

ARGS = None
TMP = tempfile.mkdtemp(prefix="trig-")
FAILED = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILED.append(what)


def host(name):
    return os.path.join(ARGS.bin, name)


def run(argv, out=None, preload=True, timeout=50, **env):
    """Runs argv with libprof; returns (CompletedProcess, summary lines)."""
    e = dict(os.environ)
    for k in list(e):
        if k.startswith("LIBPROF_"):
            del e[k]
    if preload:
        e["LD_PRELOAD"] = ARGS.lib
    if out:
        e["LIBPROF_OUT"] = out
    e.update({k: str(v) for k, v in env.items()})
    r = subprocess.run(argv, env=e, capture_output=True, text=True,
                       timeout=timeout)
    lines = [l for l in r.stderr.splitlines() if l.startswith("libprof:")]
    for l in lines:
        print("   ", l)
    return r, lines


def counts(summary):
    """(taken, achieved Hz) from a summary line."""
    m = re.search(r"libprof: (\d+) samples", summary)
    a = re.search(r"(\d+) Hz achieved", summary)
    return int(m.group(1)), int(a.group(1))


def thread(p, prefix):
    """(weight, rows) of the profile whose thread name starts with prefix."""
    for name, rows in p.threads:
        if name.startswith(prefix + " ("):
            return sum(w for _, w in rows), rows
    return 0, []


def weight_with(p, rows, fn):
    return sum(w for s, w in rows if fn in p.names(s))


# ---- jitter (issue 11) ----------------------------------------------------
def alias_share(out):
    """alias_six's percentage of the weight of alias_six + alias_four."""
    p = Profile(out)
    six = p.weight_where(lambda n: "alias_six" in n)
    four = p.weight_where(lambda n: "alias_four" in n)
    return 100.0 * six / (six + four) if six + four else -1.0


def test_jitter():
    """A 6 ms / 4 ms pattern at the default 100 Hz: every run gives each
    function its share within 5 points. 6 s of CPU on each of 2 threads:
    ~1200 samples, whose random phases alone scatter a share by 1.5 points
    (one standard deviation). The runs go in parallel (weights are CPU
    time, so they do not disturb each other). LIBPROF_JITTER=0 in the
    environment of this script runs them with the fixed period instead
    (the aliasing it shows is not asserted: its size depends on drift)."""
    jitter = os.environ.get("LIBPROF_JITTER", "1")
    runs = [("cpu", i) for i in range(3)] + [("timer", 0), ("wall", 0)]
    procs = []
    for mode, i in runs:
        out = os.path.join(TMP, f"alias-{mode}-{i}.json")
        e = {k: v for k, v in os.environ.items()
             if not k.startswith("LIBPROF_")}
        e.update(LD_PRELOAD=ARGS.lib, LIBPROF_OUT=out, LIBPROF_MODE=mode,
                 LIBPROF_JITTER=jitter)
        procs.append((mode, out, subprocess.Popen(
            [host("trig_alias"), "6", "2"], env=e,
            stderr=subprocess.DEVNULL)))
    for mode, out, pr in procs:
        check(pr.wait(timeout=200) == 0, f"{mode}: trig_alias exits 0")
        share = alias_share(out)
        check(abs(share - 60.0) <= 5.0,
              f"{mode} (jitter {jitter}): alias_six has {share:.1f}% "
              "of the pattern's weight, true 60% +-5")


def report_totals(path):
    """{function: total%} from `libprof report`, which reads every format."""
    r = subprocess.run([ARGS.cli, "report", path, "--top", "100"],
                       capture_output=True, text=True, timeout=60)
    tot = {}
    for line in r.stdout.splitlines():
        m = re.match(r"\s*\S+\s+\S+%\s+\S+\s+([\d.]+)%\s+(\S+)$", line)
        if m:
            tot[m.group(2)] = float(m.group(1))
    return tot


def test_formats():
    """Every format of one run gives the same shares within 0.5 points.
    Collapsed holds nanoseconds here (LIBPROF_COLLAPSED_WEIGHT=ns); its
    default, sample counts, gives count shares, which random periods move
    away from time shares by about a point in a short run (documented in
    docs/formats.md), so only its total is checked."""
    fmts = ["speedscope", "d3", "pprof", "collapsed"]
    files = {"speedscope": "speedscope.json", "d3": "d3.json",
             "pprof": "pb.gz", "collapsed": "folded"}
    shares = {}
    for weight in ("ns", "samples"):
        base = os.path.join(TMP, f"fmt-{weight}")
        r, lines = run([host("trig_alias"), "2", "2"], base,
                       LIBPROF_FORMAT=",".join(fmts),
                       LIBPROF_COLLAPSED_WEIGHT=weight)
        check(r.returncode == 0 and len(lines) == 1, f"{weight}: one run")
        for f in fmts if weight == "ns" else ["collapsed"]:
            shares[(f, weight)] = report_totals(f"{base}.{files[f]}")
        if weight == "samples":
            kept = int(re.search(r"\((\d+) kept", lines[0]).group(1))
            folded = open(f"{base}.folded").read().split("\n")
            n = sum(int(l.rsplit(" ", 1)[1]) for l in folded if l)
            check(n == kept, f"collapsed counts add up to the {kept} kept "
                  f"samples ({n})")
    ref = shares[("speedscope", "ns")]
    for fn in ("alias_six", "alias_four", "alias_run", "main"):
        check(fn in ref, f"speedscope has {fn}")
        for f in fmts:
            v = shares[(f, "ns")].get(fn, -100.0)
            check(abs(v - ref.get(fn, 0.0)) <= 0.5,
                  f"{f}: {fn} {v:.2f}% total, speedscope "
                  f"{ref.get(fn, 0.0):.2f}%")
    cnt = shares[("collapsed", "samples")]
    print(f"     collapsed counts: alias_six {cnt.get('alias_six', 0):.2f}%"
          f" of samples (time shares in the other run: "
          f"{ref.get('alias_six', 0):.2f}%)")


# ---- rate -----------------------------------------------------------------
def rate_cpu(hz, lo, hi):
    out = os.path.join(TMP, f"rate-{hz}.json")
    r, lines = run([host("trig_rate"), "1.0"], out, LIBPROF_HZ=hz)
    cpu_ns = int(r.stdout.split()[1])
    taken, _ = counts(lines[0])
    p = Profile(out)
    w = p.weight_where(lambda n: "rate_burn" in n)
    check(lo <= taken <= hi, f"cpu {hz} Hz: {taken} samples for "
          f"{cpu_ns / 1e9:.3f} s CPU, want {lo}..{hi}")
    check(abs(w - cpu_ns) <= 0.05 * cpu_ns,
          f"cpu {hz} Hz: rate_burn weight {w / 1e9:.3f} s within 5% of "
          f"{cpu_ns / 1e9:.3f} s")


def rate_honest(mode):
    """The achieved rate the summary reports is what the file holds."""
    out = os.path.join(TMP, f"rate-{mode}.json")
    r, lines = run([host("trig_rate"), "1.0"], out, LIBPROF_HZ=1000,
                   LIBPROF_MODE=mode)
    taken, achieved = counts(lines[0])
    total = Profile(out).total()
    real = taken / (total / 1e9)
    check(abs(achieved - real) <= 0.05 * real + 1,
          f"{mode}: summary says {achieved} Hz achieved, file has "
          f"{taken} samples over {total / 1e9:.3f} s = {real:.0f} Hz")
    check(achieved >= 1000 * 0.9 or "below the request" in lines[0],
          f"{mode}: a rate below the request is called so")


def test_rate():
    rate_cpu(1000, 900, 1100)
    rate_cpu(100, 90, 110)
    rate_honest("timer")
    rate_honest("itimer")


# ---- fairness -------------------------------------------------------------
def fair(mode, unit_ms):
    # A thread's CPU after its last sample is not in the profile. timer
    # mode fires at most once per 4 ms kernel tick, so on a loaded machine
    # that tail reaches a few ticks: its unit is longer, to keep the tail
    # well inside the 10% the issue allows.
    out = os.path.join(TMP, f"fair-{mode}.json")
    r, _ = run([host("trig_threads"), "fair", str(unit_ms)], out,
               LIBPROF_HZ=1000, LIBPROF_MODE=mode)
    used = {l.split()[1]: int(l.split()[2]) for l in r.stdout.splitlines()}
    p = Profile(out)
    w = [thread(p, f"fair-{k}")[0] for k in range(1, 9)]
    unit = sum(w) / 36
    for k in range(1, 9):
        dev = w[k - 1] / (k * unit) - 1
        check(abs(dev) <= 0.10,
              f"{mode}: fair-{k} weight {w[k - 1] / 1e9:.3f} s is {k}x the "
              f"unit within 10% ({dev:+.1%}; it burned "
              f"{used[f'fair-{k}'] / 1e9:.3f} s)")


def test_fairness():
    fair("cpu", 100)
    fair("timer", 300)
    out = os.path.join(TMP, "many.json")
    run([host("trig_threads"), "many"], out, LIBPROF_HZ=1000)
    p = Profile(out)
    missing = [k for k in range(1, 65) if thread(p, f"many-{k}")[0] <= 0]
    check(not missing, f"64 threads all sampled (missing: {missing})")


# ---- late threads ---------------------------------------------------------
def late_checks(out, how):
    p = Profile(out)
    for prefix, fn in (("early", "early_work"), ("late-named", "late_work"),
                       ("blocked", "blocked_work")):
        w, rows = thread(p, prefix)
        inside = weight_with(p, rows, fn)
        ordered = all(in_order(p.names(s), [prefix.split("-")[0] + "_thread",
                                            fn])
                      for s, _ in rows if fn in p.names(s))
        check(inside >= 0.2e9 and ordered,
              f"{how}: thread '{prefix}' has {inside / 1e9:.3f} s in "
              f"{fn}, stacks ..._thread -> {fn}: {ordered}")


def test_late():
    out = os.path.join(TMP, "late-linked.json")
    r, _ = run([host("trig_threads_linked"), "late", out], preload=False)
    check(r.returncode == 0, f"linked host exits 0 ({r.returncode})")
    late_checks(out, "linked, prof_start")
    for prog in ("trig_threads", "trig_threads_old"):
        out = os.path.join(TMP, f"late-{prog}.json")
        r, _ = run([host(prog), "late"], out, LIBPROF_HZ=500)
        late_checks(out, f"LD_PRELOAD {prog}")


# ---- wall -----------------------------------------------------------------
def test_wall():
    out = os.path.join(TMP, "wall.json")
    r, lines = run([host("trig_wall")], out, LIBPROF_MODE="wall",
                   LIBPROF_HZ=200)
    walls = {l.split()[1]: int(l.split()[2]) for l in r.stdout.splitlines()
             if l.startswith("wall")}
    print("   ", r.stdout.splitlines()[0], "(nanosleep interrupted, retried)")
    p = Profile(out)
    for name, fn, sys_fns in (
            ("sleeper", "sleep_work", ("nanosleep", "clock_nanosleep",
                                       "__clock_nanosleep")),
            ("reader", "read_work", ("read", "__libc_read"))):
        w, rows = thread(p, name)
        waiting = sum(wt for s, wt in rows if fn in p.names(s) and
                      any(f in p.names(s) for f in sys_fns))
        check(abs(w - walls[name]) <= 0.15 * walls[name],
              f"wall: {name} weight {w / 1e9:.3f} s within 15% of its wall "
              f"time {walls[name] / 1e9:.3f} s")
        check(waiting >= 0.8 * w,
              f"wall: {waiting / max(w, 1):.0%} of {name} is in {fn} -> "
              f"{sys_fns[0]}")


# ---- fork and exec ---------------------------------------------------------
def fork_case(pattern, fork_opt):
    out = os.path.join(TMP, pattern)
    env = {"LIBPROF_HZ": 500}
    if fork_opt:
        env["LIBPROF_FORK"] = fork_opt
    r, lines = run([host("trig_fork"), "child", out], out, **env)
    kv = dict(l.split() for l in r.stdout.splitlines())
    child = kv["child"]
    if "%p" in out:
        parent_out = out.replace("%p", kv["parent"])
        child_out = out.replace("%p", child)
    else:
        parent_out = out
        child_out = out.replace(".json", f".{child}.json")
    tag = f"fork ({pattern}, LIBPROF_FORK={fork_opt or 'default'})"
    check(r.returncode == 0, f"{tag}: host exits 0")
    check(kv.get("parent_out_absent") == "1",
          f"{tag}: the child's exit did not write the parent's file")
    pp = Profile(parent_out)
    check(pp.weight_where(lambda n: "parent_after" in n) > 0.1e9 and
          pp.weight_where(lambda n: "child_work" in n) == 0,
          f"{tag}: parent's profile has parent_after and no child_work")
    if fork_opt == "stop":
        check(not os.path.exists(child_out), f"{tag}: child wrote nothing")
        return
    cp = Profile(child_out)
    check(cp.weight_where(lambda n: "child_work" in n) > 0.2e9 and
          cp.weight_where(lambda n: "parent_after" in n) == 0,
          f"{tag}: child's own {os.path.basename(child_out)} has child_work")
    g = kv["grandchild"]
    g_out = out.replace("%p", g) if "%p" in out else \
        out.replace(".json", f".{g}.json")  # one pid, not the child's too
    check(os.path.exists(g_out) and
          Profile(g_out).weight_where(lambda n: "grandchild_work" in n) > 0.1e9
          and cp.weight_where(lambda n: "grandchild_work" in n) == 0,
          f"{tag}: grandchild's own {os.path.basename(g_out)}")


def test_fork():
    fork_case("fork.json", None)
    fork_case("forkp-%p.json", None)
    fork_case("forkstop.json", "stop")


def test_bigfork():
    out = os.path.join(TMP, "bigfork.json")
    t0 = time.time()
    r, lines = run([host("trig_fork"), "bigfork", "2048", "20"], out,
                   LIBPROF_HZ=1000, timeout=55)
    print("   ", r.stdout.strip())
    check(r.returncode == 0 and "forks 20" in r.stdout,
          "2 GiB process forks 20 times under 1 kHz sampling")
    check(time.time() - t0 < 40, f"... within 40 s ({time.time() - t0:.1f})")
    check(Profile(out).total() > 0, "... and its profile is valid")


def test_spawn():
    out = os.path.join(TMP, "spawn.json")
    r, lines = run([host("trig_fork"), "spawn", host("trig_rate")], out)
    check(r.returncode == 0, "posix_spawn and vfork+execv children exit 0")
    pids = [l.split()[1:] for l in r.stdout.splitlines()
            if l.startswith("spawned")][0]
    for how, pid in zip(("posix_spawn", "vfork+execv"), pids):
        f = out.replace(".json", f".{pid}.json")
        ok = os.path.exists(f) and \
            Profile(f).weight_where(lambda n: "rate_burn" in n) > 0.2e9
        check(ok, f"{how} child profiled as its own process: "
              f"{os.path.basename(f)}")
    check(Profile(out).weight_where(lambda n: "rate_burn" in n) == 0,
          "the parent's profile has none of the children's work")


def test_exec():
    for mode in ("cpu", "timer", "itimer", "wall"):
        for i in range(3):
            out = os.path.join(TMP, f"exec-{mode}-{i}.json")
            r, _ = run([host("trig_fork"), "exec", host("trig_rate")], out,
                       LIBPROF_MODE=mode, LIBPROF_HZ=1000)
            ok = r.returncode == 0 and \
                Profile(out).weight_where(lambda n: "rate_burn" in n) > 0.2e9
            check(ok, f"exec in place, {mode} #{i}: exit {r.returncode}, "
                  "the new program profiled into the same path")


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("test")
    ap.add_argument("--lib", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--cli")  # the libprof tool (formats)
    ARGS = ap.parse_args()
    globals()["test_" + ARGS.test]()
    print(f"{ARGS.test}: {len(FAILED)} failed")
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
