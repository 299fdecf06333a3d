"""Runs the soak host (soak.c) under a watchdog and checks what a host and
its user can see: it exits 0, every profile it and its fork children wrote
parses, descriptors and timers come back to their count, RSS does not keep
growing, and the sampling rate stays above a floor.

usage: run_soak.py SOAK PLUGIN [--seconds N] [--reset-signals]
                    [--without=PARTS]   (dlopen,threads,fork,crossings)

The watchdog kills the whole process group after N + 60 s: a hang fails.
Figures go to stdout (bench/soak.sh prints them for the 10-minute run)."""
import argparse
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "pylib"))
from libprof_profile import Profile  # noqa: E402

HZ = 1000
# Floor of samples per CPU-second of the process. Not a timing check: in
# mode cpu each thread is sampled per 1 ms of its own user-mode CPU, but
# the soak spends much of its CPU in the kernel (fork, mmap/munmap of the
# dlopen churn, thread creation) where perf's exclude_kernel event does
# not count, and the CPU of libprof's own threads is in the process total.
# 30 % is what a working sampler keeps with room to spare; a sampler that
# stops (disarmed, signal lost, threads never armed) falls far below.
FLOOR = 0.30
# RSS may grow by this much from the end of the third session to the end
# of the last (both measured after prof_stop, when the session's ring and
# module images are unmapped). The first sessions see glibc create one
# malloc arena per concurrently running thread (up to 8 per core) and the
# test runtime's tables fill up; after that a steady host must stay flat.
# 16 MiB is 3 rings' worth (5.4 MiB each): a ring, or the module records
# of the dlopen churn (thousands per session), leaked per session would
# exceed it within the 60 s run's 30 sessions.
RSS_GROWTH_KIB = 16 * 1024
RSS_FROM_CYCLE = 2


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def run(args, outdir):
    cmd = [args.soak, str(args.seconds), outdir, args.plugin]
    if args.reset_signals:
        cmd.append("--reset-signals")
    if args.without:
        cmd.append("--without=" + args.without)
    limit = args.seconds + 60
    # A LIBPROF_OUT of the caller would start a session at load, and
    # every prof_start of the soak would fail.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LIBPROF_") and k != "LD_PRELOAD"}
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, start_new_session=True, env=env)
    try:
        out, err = p.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        print(err[-4000:])
        fail("watchdog: soak still running after %d s, killed" % limit)
    if p.returncode != 0:
        print(out[-4000:])
        print(err[-4000:])
        if p.returncode < 0:
            fail("soak killed by signal %d (%s)" %
                 (-p.returncode, signal.Signals(-p.returncode).name))
        fail("soak exited with status %d" % p.returncode)
    return out, err


def parse_collapsed(path):
    n = 0
    with open(path) as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack or not count.isdigit():
                fail("%s: bad collapsed line %r" % (path, line[:200]))
            n += 1
    return n


def check_files(outdir, cycles):
    """Every file parses; returns (samples, dropped) of the host's own
    sessions, and the number of files from fork children."""
    samples = dropped = children = 0
    own = {os.path.basename(c["file"]) for c in cycles}
    for path in sorted(glob.glob(os.path.join(outdir, "*"))):
        name = os.path.basename(path)
        if name.endswith(".json"):
            try:
                p = Profile(path)
                counters = p.doc["libprof"]["counters"]
            except (ValueError, KeyError, AssertionError) as e:
                fail("%s does not parse: %s" % (path, e))
            if name in own:
                samples += counters["samples"]
                dropped += counters["dropped"]
            elif name != "warm-up.json":
                children += 1
        else:
            parse_collapsed(path)
    missing = [f for f in own if not os.path.exists(os.path.join(outdir, f))]
    if missing:
        fail("sessions wrote no file: %s" % missing[:5])
    return samples, dropped, children


def figures(line):
    return {k: float(v) for k, v in re.findall(r"(\w+)=([-\d.]+)", line)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("soak")
    ap.add_argument("plugin")
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--reset-signals", action="store_true")
    ap.add_argument("--without", default="")
    args = ap.parse_args()
    outdir = tempfile.mkdtemp(prefix="libprof-soak-")
    out, err = run(args, outdir)
    # A fork child that exits while the main thread is inside dprintf
    # flushes dprintf's temporary stream (glibc links it into the stream
    # list) a second time: one line may come twice. Keyed by session.
    cycles = list({l.split()[1]: dict(figures(l), file=l.split("file=")[1])
                   for l in out.splitlines()
                   if l.startswith("cycle ")}.values())
    final = [figures(l) for l in out.splitlines() if l.startswith("soak ")]
    if not cycles or not final:
        fail("no figures in the output:\n" + out[-2000:])
    s = final[0]
    samples, dropped, children = check_files(outdir, cycles)
    cpu = sum(c["cpu_s"] for c in cycles)
    rate = samples / cpu if cpu else 0
    rss = [c["rss_kib"] for c in cycles]
    base = rss[min(RSS_FROM_CYCLE, len(rss) - 1)]
    print("soak: %d s, %d sessions, reset signals %s" %
          (args.seconds, s["cycles"], "on" if s["reset_signals"] else "off"))
    print("  work: %d dlopens, %d threads, %d forks (%d child profiles), "
          "%d crossing loops" % (s["dlopens"], s["threads"], s["forks"],
                                  children, s["crossing_loops"]))
    print("  samples: %d (%.0f per process CPU-second, %d Hz requested), "
          "dropped %d" % (samples, rate, HZ, dropped))
    print("  RSS after stop: %d KiB at session %d, %d KiB at the last "
          "(growth %+d KiB, bound %d), max %d KiB" %
          (base, RSS_FROM_CYCLE, rss[-1], rss[-1] - base, RSS_GROWTH_KIB,
           max(rss)))
    step = max(1, len(rss) // 10)
    print("  RSS after stop, every %d sessions: %s KiB" %
          (step, " ".join("%d" % r for r in rss[::step])))
    print("  fds %d -> %d, timers %d -> %d" %
          (s["fds_before"], s["fds_after"], s["timers_before"],
           s["timers_after"]))
    if s["fds_after"] != s["fds_before"]:
        fail("descriptors left behind")
    if s["timers_after"] != s["timers_before"]:
        fail("POSIX timers left behind")
    if rss[-1] - base > RSS_GROWTH_KIB:
        fail("RSS grew by more than %d KiB" % RSS_GROWTH_KIB)
    if rate < FLOOR * HZ:
        fail("%.0f samples per CPU-second, below %d%% of %d Hz" %
             (rate, FLOOR * 100, HZ))
    if s["forks"] > 0 and children == 0:
        fail("no fork child wrote a profile")
    shutil.rmtree(outdir)
    print("1 passed, 0 failed")


main()
