"""Shared helpers of the Python tests: run /usr/bin/python3.11 (never a
python3 from PATH) under libprof and read the merged stacks back."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "pylib"))
from libprof_profile import Profile  # noqa: E402

PYTHON = "/usr/bin/python3.11"
HERE = os.path.dirname(os.path.abspath(__file__))


def run(lib, args, out, env=None, check=True, **kw):
    """Runs args with libprof preloaded, writing the profile to out."""
    e = dict(os.environ, LD_PRELOAD=lib, LIBPROF_OUT=out, LIBPROF_QUIET="1")
    e.pop("PYTHONPATH", None)
    e.update(env or {})
    p = subprocess.run(args, env=e, capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        sys.exit(f"{args} failed ({p.returncode}): {p.stderr}")
    return p


def marks(path):
    """{name: line} of the `# at:NAME` marks in a source file."""
    out = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            m = re.search(r"# at:(\S+)", line)
            if m:
                out[m.group(1)] = n
    return out


def shape(prof, stack, src):
    """A stack as the tests compare it: a Python frame of `src` is
    "name:line", one of another file "name@file"; native frames are their
    module's file name, runs of the same module as one."""
    mods = prof.doc["libprof"]["modules"]
    out = []
    for f in stack:
        if f.get("runtime") == "python":
            if f.get("file") == src:
                out.append(f"{f['name']}:{f.get('line', 0)}")
            else:
                out.append(f"{f['name']}@{os.path.basename(f.get('file', '?'))}")
            continue
        if "module" in f:
            item = os.path.basename(mods[f["module"]]["path"])
        else:
            item = f"[{f['name']}]"
        if not out or out[-1] != item:
            out.append(item)
    return out


def load(path):
    with open(path) as f:
        json.load(f)  # a complete document, or this raises
    return Profile(path)
