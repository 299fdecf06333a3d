#!/usr/bin/env python3
"""End to end: minivm's demo script profiled through LIBPROF_OUT.

usage: e2e_split.py MINIVM DEMO_MV WORK_DIR

Runs `MINIVM DEMO_MV 2000` (about 2 s of CPU) with LIBPROF_OUT set to a
speedscope file in WORK_DIR, then checks the merged profile:

  1. the CPU split by innermost frame: script (minivm) frames 60% +- 5
     points, native the rest (demo.mv explains why 60);
  2. merged stacks in order, outermost first, e.g.
       main -> vm_run -> main -> round -> sort_work -> native_sort -> ...
            -> vm_run -> by_weight
     (native frames plain, script frames marked *);
  3. the interpreter's own frames are replaced by script frames: every run
     of script frames sits directly on a native vm_run;
  4. every script frame names the runtime "minivm" (in a field other than
     `file`), carries the script's path as `file`, and a line inside its
     function; no native frame claims the runtime.
"""
import json
import os
import re
import subprocess
import sys

CPU_MS = 2000
EXPECTED_SCRIPT_PERCENT = 60.0
TOLERANCE_POINTS = 5.0
MIN_PATH_SHARE = 0.95   # of a phase's weight whose stack must read right
MIN_PHASE_SHARE = 0.05  # of all weight, for each phase below
RUNTIME = "minivm"
# Native frames that only ever run inside a managed activation (between
# prof_enter_managed and prof_leave_managed), so the merge must drop them.
# (push_frame is not one: vm_run also calls it before entering.)
INTERPRETER_INTERNALS = {"interpret", "call_native", "call_script"}

# Expected stacks, outermost first; "*name" is a script frame. A pattern
# must appear in order; "|" between two entries means "adjacent".
PATHS = {
    "script loop": (["*mix"], ["main", "vm_run", "|", "*main", "|", "*round",
                               "|", "*script_work", "|", "*mix"]),
    "sort callback": (["*weight", "*by_weight"],
                      ["main", "vm_run", "|", "*main", "|", "*round", "|",
                       "*sort_work", "|", "native_sort", "vm_run", "|",
                       "*by_weight"]),
    "native work": (["crunch_block", "native_burn"],
                    ["main", "vm_run", "|", "*main", "|", "*round", "|",
                     "*native_work", "|", "native_burn"]),
}


class Failure(Exception):
    pass


def run_demo(minivm, demo, work):
    os.makedirs(work, exist_ok=True)
    out = os.path.join(work, "demo.speedscope.json")
    if os.path.exists(out):
        os.remove(out)
    # An outer LIBPROF_OUT must not leak in; LIBPROF_MODE may, to run this
    # test with a particular trigger.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LIBPROF_") or k == "LIBPROF_MODE"}
    env.update(LIBPROF_OUT=out, LIBPROF_HZ="1000")
    proc = subprocess.run([minivm, demo, str(CPU_MS)], env=env, text=True,
                          capture_output=True, timeout=600)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0 or proc.stdout.split() != ["20", "1"]:
        raise Failure("minivm exited %d with stdout %r"
                      % (proc.returncode, proc.stdout))
    if not os.path.exists(out):
        raise Failure("no profile written to " + out)
    with open(out) as f:
        return json.load(f)


def function_ranges(demo):
    """{function: (first line, last line)} of the script's functions."""
    starts = []
    with open(demo) as f:
        for number, line in enumerate(f, 1):
            m = re.match(r"fn\s+(\w+)", line)
            if m:
                starts.append((m.group(1), number))
    ends = [n - 1 for _, n in starts[1:]] + [10 ** 9]
    return {name: (start, end) for (name, start), end in zip(starts, ends)}


def bare_name(name):
    """The function name without decorations a exporter may add."""
    name = re.sub(r"^%s\W+" % RUNTIME, "", name)
    m = re.match(r"[A-Za-z_]\w*", name)
    return m.group(0) if m else name


def classify_frames(doc, demo):
    """One (label, is_script) per shared frame; checks rule 4."""
    script_path = os.path.realpath(demo)
    ranges = function_ranges(demo)
    labels, problems = [], []
    for f in doc["shared"]["frames"]:
        name, path = f.get("name", ""), f.get("file") or ""
        script = bool(path) and os.path.realpath(path) == script_path
        tagged = any(v == RUNTIME for k, v in f.items()
                     if k not in ("file", "name") and isinstance(v, str))
        tagged_by_name = re.search(r"\b%s\b" % RUNTIME, name) is not None
        fn = bare_name(name)
        if script:
            if not (tagged or tagged_by_name):
                problems.append("script frame %r does not name runtime %r"
                                % (f, RUNTIME))
            lo, hi = ranges.get(fn, (0, -1))
            if not lo <= int(f.get("line") or 0) <= hi:
                problems.append("script frame %r: line outside %s (%d..%d)"
                                % (f, fn, lo, hi))
        elif tagged:
            problems.append("native frame %r claims runtime %r" % (f, RUNTIME))
        labels.append(("*" if script else "") + fn)
    return labels, problems


def samples(doc):
    """(profile name, stack of frame indices root first, weight). An entry
    may stand for many samples of the same stack (its weight is theirs)."""
    for prof in doc["profiles"]:
        if prof["type"] == "sampled":
            for stack, weight in zip(prof["samples"], prof["weights"]):
                yield prof.get("name"), stack, weight
        elif prof["type"] == "evented":
            stack, last = [], None
            for ev in prof["events"]:
                if stack and ev["at"] > last:
                    yield prof.get("name"), list(stack), ev["at"] - last
                last = ev["at"]
                if ev["type"] == "O":
                    stack.append(ev["frame"])
                elif stack:
                    stack.pop()


def matches(labels, pattern):
    """Whether pattern (see PATHS) occurs in labels, in order."""
    def at(i, p):  # can pattern[p:] match starting at labels[i:]?
        if p == len(pattern):
            return True
        adjacent = pattern[p] == "|"
        want = pattern[p + 1] if adjacent else pattern[p]
        nxt = p + 2 if adjacent else p + 1
        if adjacent:
            return i < len(labels) and labels[i] == want and at(i + 1, nxt)
        return any(labels[j] == want and at(j + 1, nxt)
                   for j in range(i, len(labels)))
    return at(0, 0)


def check_structure(stack, problems):
    """Rule 3 for one sample (labels, outermost first)."""
    for k, label in enumerate(stack):
        if label in INTERPRETER_INTERNALS:
            problems.append("interpreter internals kept: %s"
                            % " > ".join(stack))
            return
        starts_run = label.startswith("*") and (
            k == 0 or not stack[k - 1].startswith("*"))
        if starts_run and (k == 0 or stack[k - 1] != "vm_run"):
            problems.append("script frames not entered through vm_run: %s"
                            % " > ".join(stack))
            return


def analyse(doc, demo):
    labels, problems = classify_frames(doc, demo)
    total = script = 0
    phase = {name: [0, 0] for name in PATHS}  # [weight, weight matching]
    threads = set()
    for thread, stack, weight in samples(doc):
        names = [labels[i] for i in stack]
        if not any(n.startswith("*") for n in names):
            continue  # other threads, process start-up and exit
        threads.add(thread)
        total += weight
        script += weight if names[-1].startswith("*") else 0
        check_structure(names, problems)
        for name, (leaves, pattern) in PATHS.items():
            if names[-1] in leaves:
                phase[name][0] += weight
                phase[name][1] += weight if matches(names, pattern) else 0
    return total, script, phase, threads, problems


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__)
    minivm, demo, work = argv[1:]
    try:
        doc = run_demo(minivm, demo, work)
    except Failure as e:
        print("FAIL", e)
        return 1
    total, script, phase, threads, problems = analyse(doc, demo)
    if len(threads) != 1:
        problems.append("script frames in %d profiles, expected 1"
                        % len(threads))
    share = 100.0 * script / total if total else 0.0
    print("script %.1f%% / native %.1f%% (expected %.0f%% +- %.0f)"
          % (share, 100 - share, EXPECTED_SCRIPT_PERCENT, TOLERANCE_POINTS))
    if abs(share - EXPECTED_SCRIPT_PERCENT) > TOLERANCE_POINTS:
        problems.append("script share %.1f%% is off by more than %.0f points"
                        % (share, TOLERANCE_POINTS))
    for name, (seen, good) in phase.items():
        print("%-14s %4.1f%% of the weight, %5.1f%% of it with the expected "
              "stack" % (name, 100.0 * seen / (total or 1),
                         100.0 * good / (seen or 1)))
        # Each phase is 15% or more of the CPU by design.
        if seen < MIN_PHASE_SHARE * total or good < MIN_PATH_SHARE * seen:
            problems.append("%s: %.1f%% of its weight has the expected stack %s"
                            % (name, 100.0 * good / (seen or 1),
                               " ".join(PATHS[name][1])))
    for p in problems[:20]:
        print("FAIL", p)
    if len(problems) > 20:
        print("... and %d more" % (len(problems) - 20))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
