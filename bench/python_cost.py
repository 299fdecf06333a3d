"""bench/python (issue 12): the cost of CPython 3.11 support, side by side
in one run. Run by bench/run.sh (bench_python LIBPROF_SO); not a test.

(a) handler: CPU of the sampled thread per sample (signal delivery and
    libprof's handler), at 50 Python frames (one eval activation: the same
    native stack) with Python support on and off (LIBPROF_PYTHON=0), and at
    1 frame. Goal: at most 1 us more with Python.
(b) CPU of a pure-Python benchmark profiled at 1 kHz (LIBPROF_HZ=1000;
    the kernel's tick may cap the rate) over unprofiled, whole process
    (collector, symbolization and output included), with Python support
    off and on, so that libprof's own cost and Python's show apart.
    Goal: <= 1.03.
Medians of BENCH_REPS (5) runs; knobs BENCH_PY_SIGNALS, BENCH_PY_ROUNDS."""
import os
import statistics
import subprocess
import sys
import tempfile

LIB = sys.argv[1]
PY = "/usr/bin/python3.11"
HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(HERE, "python_target.py")
REPS = int(os.environ.get("BENCH_REPS", "5"))
SIGNALS = os.environ.get("BENCH_PY_SIGNALS", "20000")
ROUNDS = os.environ.get("BENCH_PY_ROUNDS", "3000")


def child(args, profiled, env=None):
    """Runs the target; returns (stdout, child CPU seconds)."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("LIBPROF_")}
    e.pop("LD_PRELOAD", None)
    with tempfile.TemporaryDirectory() as d:
        if profiled:
            e.update(LD_PRELOAD=LIB, LIBPROF_OUT=os.path.join(d, "p.json"),
                     LIBPROF_QUIET="1")
        e.update(env or {})
        p = subprocess.Popen([PY, TARGET] + args, env=e, text=True,
                             stdout=subprocess.PIPE)
        out = p.stdout.read()
        _, status, ru = os.wait4(p.pid, 0)
        if status != 0:
            sys.exit(f"{args} failed: status {status}")
    return out, ru.ru_utime + ru.ru_stime


def handler_ns(depth, python):
    env = {"LIBPROF_HZ": "1", "LIBPROF_PYTHON": "1" if python else "0"}
    runs = [float(child(["handler", str(depth), SIGNALS], True, env)[0])
            for _ in range(REPS)]
    return statistics.median(runs)


def table_handler():
    print("## python (a): CPU per sample on the sampled thread, ns\n")
    print("| Python frames | Python support on | off (LIBPROF_PYTHON=0) | more |")
    print("|---:|---:|---:|---:|")
    more50 = None
    for depth in (1, 50):
        on, off = handler_ns(depth, True), handler_ns(depth, False)
        print(f"| {depth} | {on:.0f} | {off:.0f} | {on - off:.0f} |")
        more50 = on - off
    verdict = "MET" if more50 <= 1000 else "MISSED"
    print(f"\nGoal: at most 1 us more at 50 frames: {verdict} "
          f"({more50 / 1000:.2f} us).\n")


def table_ratio():
    runs = {"bare": [], "off": [], "on": []}
    for _ in range(REPS):  # interleaved, so that load drifts hit all three
        runs["bare"].append(child(["work", ROUNDS], False)[1])
        for k, v in (("off", "0"), ("on", "1")):
            runs[k].append(child(["work", ROUNDS], True,
                                 {"LIBPROF_HZ": "1000", "LIBPROF_PYTHON": v})[1])
    ratio = {k: statistics.median(a / b for a, b in zip(runs[k], runs["bare"]))
             for k in ("off", "on")}
    med = {k: statistics.median(v) for k, v in runs.items()}
    print("## python (b): pure-Python benchmark, whole-process CPU\n")
    print("| unprofiled, s | 1 kHz, Python off, s | 1 kHz, Python on, s "
          "| ratio off | ratio on | goal <= 1.03 |")
    print("|---:|---:|---:|---:|---:|---|")
    print(f"| {med['bare']:.3f} | {med['off']:.3f} | {med['on']:.3f} "
          f"| {ratio['off']:.3f} | {ratio['on']:.3f} "
          f"| {'MET' if ratio['on'] <= 1.03 else 'MISSED'} |")


table_handler()
table_ratio()
