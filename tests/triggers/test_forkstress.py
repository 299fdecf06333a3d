"""Fork stress (issue 9): 1000 forks at 1 kHz while threads are created,
rename themselves and exit, in a host whose allocator takes its own lock
across fork (its child handler runs after libprof's).

usage: test_forkstress.py --lib libprof.so --bin DIR_OF_HOSTS
Checks: the host finishes within its timeout (no child hangs: each has a
5 s alarm), every child exits 0 and wrote its own profile (LIBPROF_FORK
follow), every profile parses, names only the child's own tid (none of the
parent's), and the children that worked 60 ms have samples of it."""
import argparse
import collections
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "pylib"))
from libprof_profile import Profile  # noqa: E402

FORKS = 1000


def run_group(argv, env, timeout):
    """Runs argv in its own process group, so that a child that hangs
    inside fork(), before its alarm is set, is killed with the host on
    timeout. Returns the CompletedProcess, or None on timeout."""
    proc = subprocess.Popen(argv, env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        stdout, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return None
    return subprocess.CompletedProcess(argv, proc.returncode, stdout)


def check_other_forks(args, env, tmp, check):
    """daemon(): the daemon profiles itself after glibc's internal fork;
    _Fork(): the child starts nothing and leaves the parent's file alone."""
    host = os.path.join(args.bin, "trig_forkstress")
    pidfile = os.path.join(tmp, "daemon.pid")
    env = dict(env, LIBPROF_OUT=os.path.join(tmp, "d.json"))
    subprocess.run([host, "daemon", pidfile], env=env, timeout=30)
    for _ in range(300):  # the daemon outlives its parent: wait for it
        pid = open(pidfile).read().strip() if os.path.exists(pidfile) else ""
        out = os.path.join(tmp, f"d.{pid}.json")
        if pid and os.path.exists(out):
            break
        time.sleep(0.1)
    check(pid and os.path.exists(out) and
          Profile(out).weight_where(lambda n: "long_child" in n) > 0,
          f"daemon(): the daemon {pid} wrote its own profile of long_child")
    env["LIBPROF_OUT"] = os.path.join(tmp, "f.json")
    r = run_group([host, "_Fork"], env, 30)  # before: the child hung
    out = r.stdout if r else ""
    child = out.split()[1] if out.startswith("child ") else "?"
    parent_ok = r is not None and r.returncode == 0 and \
        Profile(env["LIBPROF_OUT"]).weight_where(
            lambda n: "long_child" in n) > 0
    check(parent_ok and out.split()[2:3] == ["0"] and
          not os.path.exists(os.path.join(tmp, f"f.{child}.json")),
          f"_Fork(): the child {child} exits 0 and writes nothing, the "
          "parent's file is whole")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--bin", required=True)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="forkstress-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIBPROF_")}
    env.update(LD_PRELOAD=args.lib, LIBPROF_OUT=os.path.join(tmp, "p.json"),
               LIBPROF_HZ="1000", LIBPROF_QUIET="1")
    host = os.path.join(args.bin, "trig_forkstress")
    r = run_group([host, str(FORKS), "2"], env, 100)
    if r is None:
        print("FAIL the host did not finish 1000 forks within 100 s")
        return 1
    kids = [l.split()[1:] for l in r.stdout.splitlines()
            if l.startswith("child ")]
    failed = []

    def check(cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failed.append(what)

    check(r.returncode == 0 and f"forks {FORKS}" in r.stdout and
          len(kids) == FORKS, f"host exits 0 after {len(kids)} forks")
    status = collections.Counter(st for _, _, st in kids)
    check(status == {"0": FORKS}, f"every child exits 0: {dict(status)}")
    # pid_max is 32768 here: a pid may come back; its file is the last one's.
    uses = collections.Counter(pid for pid, _, _ in kids)
    bad = collections.Counter()
    for pid in uses:
        try:
            p = Profile(os.path.join(tmp, f"p.{pid}.json"))
        except (OSError, ValueError) as e:
            bad["missing or malformed"] += 1
            print("   ", pid, e)
            continue
        tids = {m.group(1) for m in
                (re.search(r"\((\d+)\)$", n) for n, _ in p.threads) if m}
        if tids - {pid}:
            bad["parent's tid"] += 1
            print("   ", pid, "threads", sorted(tids))
    longs = [pid for pid, kind, _ in kids if kind == "long" and uses[pid] == 1]
    for pid in longs:
        p = Profile(os.path.join(tmp, f"p.{pid}.json"))
        if not p.weight_where(lambda n: "long_child" in n) > 0:
            bad["long child without samples"] += 1
    check(not bad, f"{len(uses)} child profiles parse, name only the "
          f"child's tid, {len(longs)} 60 ms children sampled: {dict(bad)}")
    check(Profile(os.path.join(tmp, "p.json")).total() > 0,
          "the parent's profile is valid")
    check_other_forks(args, env, tmp, check)
    print(f"forkstress: {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
