"""Stress: CPython 3.11 under libprof at 1 kHz with threads, exceptions,
generators, exec'd code and hashlib. Usage: test_stress.py LIBPROF_SO MODE
(cpu, or wall: every thread sampled, those waiting for the GIL too).

Must not crash, and no frame may carry a wrong name: a frame of
stress.py names the function whose lines contain its line; a frame of
exec'd code "<dyn-K>" is dyn_K or <module>, at a line of that code, and
dyn_K is called by the <module> of the same "<dyn-K>" (code objects of
exec'd code are freed and their addresses reused all the time, so a name
taken from the wrong object shows here)."""
import ast
import os
import sys

import pyprof

LIB, MODE = sys.argv[1], sys.argv[2]
SRC = os.path.join(pyprof.HERE, "stress.py")
OUT = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                   f"libprof_pystress_{os.getpid()}.json")
FREED = "<python code freed before it was read>"


def spans():
    """{qualified name: (first line, last line)} of stress.py."""
    out = {"<module>": (0, 10 ** 6)}  # 0: see check_frame
    tree = ast.parse(open(SRC).read())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            out[node.name] = (node.lineno, node.end_lineno)
    out["pipeline.<locals>.<genexpr>"] = out["pipeline"]
    return out


def check_frame(f, known):
    name, file, line = f["name"], f.get("file", ""), f.get("line", 0)
    if name == FREED:
        return None
    if file == SRC:
        lo, hi = known.get(name, (0, -1))
        return None if lo <= line <= hi else f"{name} at line {line}"
    if file.startswith("<dyn-"):
        k = file[len("<dyn-"):-1]
        # line 0: a module's first instruction (RESUME) has no line in
        # CPython itself (PyCode_Addr2Line gives 0 too)
        ok = (name == f"dyn_{k}" and 1 <= line <= 7) or \
            (name == "<module>" and 0 <= line <= 7)
        return None if ok else f"{name} in {file} at line {line}"
    return None


def check_caller(f, caller):
    want = ("<module>", f["file"])
    got = (caller["name"], caller.get("file"))
    return None if got == want or caller["name"] == FREED else \
        f"{f['name']} in {f['file']} called by {got}"


def main():
    try:
        pyprof.run(LIB, [pyprof.PYTHON, SRC, "4"], OUT,
                   env={"LIBPROF_HZ": "1000", "LIBPROF_MODE": MODE},
                   timeout=300)
        prof = pyprof.load(OUT)
    finally:
        if os.path.exists(OUT):
            os.unlink(OUT)
    known, bad, dyn, py = spans(), [], 0, 0
    for stack, _ in prof.rows():
        for i, f in enumerate(stack):
            if f.get("runtime") != "python":
                continue
            py += 1
            dyn += f.get("file", "").startswith("<dyn-")
            err = check_frame(f, known)
            if not err and f["name"].startswith("dyn_"):
                err = check_caller(f, stack[i - 1])
            if err:
                bad.append(err)
    if bad or py == 0 or dyn == 0:
        sys.exit(f"{len(bad)} wrong frames of {py} ({dyn} exec'd): {bad[:10]}")
    print(f"ok: {py} Python frames, {dyn} of exec'd code, none wrong")


main()
