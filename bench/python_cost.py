"""bench/python (issue 12): the cost of CPython 3.11 support, side by side
in one run. Run by bench/run.sh (bench_python LIBPROF_SO); not a test.

(a) handler: CPU of the sampled thread per sample (signal delivery and
    libprof's handler), at 50 Python frames (one eval activation: the same
    native stack) with Python support on and off (LIBPROF_PYTHON=0), and at
    1 frame. Goal: at most 1 us more with Python.
(b) CPU of a pure-Python benchmark profiled at 1 kHz (LIBPROF_HZ=1000;
    the kernel's tick may cap the rate) over unprofiled, whole process
    (collector, symbolization and output included). Goal: <= 1.03.
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
ROUNDS = os.environ.get("BENCH_PY_ROUNDS", "1500")


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
    ratios, bare, prof = [], [], []
    for _ in range(REPS):  # alternate, so that load drifts hit both
        b = child(["work", ROUNDS], False)[1]
        p = child(["work", ROUNDS], True, {"LIBPROF_HZ": "1000"})[1]
        bare.append(b), prof.append(p), ratios.append(p / b)
    r = statistics.median(ratios)
    print("## python (b): pure-Python benchmark, whole-process CPU\n")
    print("| unprofiled, s | profiled at 1 kHz, s | ratio | goal <= 1.03 |")
    print("|---:|---:|---:|---|")
    print(f"| {statistics.median(bare):.3f} | {statistics.median(prof):.3f} "
          f"| {r:.3f} | {'MET' if r <= 1.03 else 'MISSED'} |")


table_handler()
table_ratio()
