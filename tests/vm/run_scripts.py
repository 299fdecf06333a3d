#!/usr/bin/env python3
"""Runs every tests/vm/scripts/*.mv through a minivm binary and checks it.

Each script states what it expects in comments:
    # args: 1 2               command-line integers for main
    # expect: <line>          the next line of stdout (in order, all of them)
    # expect-status: N        the exit status (default 0)
    # expect-stderr: <text>   a substring of stderr

usage: run_scripts.py MINIVM SCRIPTS_DIR [--profile OUT_DIR]

With --profile, each script runs under LIBPROF_OUT (libprof linked in) at a
high rate: the results must not change, and the VM's context bookkeeping
must balance (minivm exits with 3 when it does not).
"""
import os
import subprocess
import sys


def directives(path):
    want = {"args": [], "stdout": [], "status": 0, "stderr": []}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# args:"):
                want["args"] = line.split(":", 1)[1].split()
            elif line.startswith("# expect:"):
                want["stdout"].append(line.split(":", 1)[1].strip())
            elif line.startswith("# expect-status:"):
                want["status"] = int(line.split(":", 1)[1])
            elif line.startswith("# expect-stderr:"):
                want["stderr"].append(line.split(":", 1)[1].strip())
    return want


def clean_env(profile_dir, name):
    # An outer LIBPROF_OUT must not leak in; LIBPROF_MODE may, to profile
    # with a particular trigger.
    keep = ("LIBPROF_MODE",) if profile_dir else ()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LIBPROF_") or k in keep}
    if profile_dir:
        out = os.path.join(profile_dir, name + ".speedscope.json")
        env["LIBPROF_OUT"] = out
        env["LIBPROF_HZ"] = "1000"
        env["LIBPROF_QUIET"] = "1"
    return env


def check(minivm, path, profile_dir):
    want = directives(path)
    name = os.path.basename(path)
    proc = subprocess.run([minivm, path] + want["args"], capture_output=True,
                          text=True, timeout=60,
                          env=clean_env(profile_dir, name))
    problems = []
    got = proc.stdout.splitlines()
    if got != want["stdout"]:
        problems.append("stdout %r, expected %r" % (got, want["stdout"]))
    if proc.returncode != want["status"]:
        problems.append("exit status %d, expected %d"
                        % (proc.returncode, want["status"]))
    for text in want["stderr"]:
        if text not in proc.stderr:
            problems.append("stderr lacks %r" % text)
    if want["status"] == 0 and proc.stderr.strip():
        problems.append("unexpected stderr")
    if problems:
        print("FAIL %s\n  %s\n  stderr: %s" % (name, "\n  ".join(problems),
                                               proc.stderr.strip()))
    else:
        print("ok   %s" % name)
    return not problems


def main(argv):
    if len(argv) not in (3, 5) or (len(argv) == 5 and argv[3] != "--profile"):
        sys.exit(__doc__)
    minivm, scripts = argv[1], argv[2]
    profile_dir = argv[4] if len(argv) == 5 else None
    if profile_dir:
        os.makedirs(profile_dir, exist_ok=True)
    paths = sorted(os.path.join(scripts, n) for n in os.listdir(scripts)
                   if n.endswith(".mv"))
    if not paths:
        sys.exit("no scripts in %s" % scripts)
    failed = [p for p in paths if not check(minivm, p, profile_dir)]
    print("%d of %d scripts failed" % (len(failed), len(paths)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
