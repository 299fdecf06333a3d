"""Output paths that a session must refuse at start (issue 9): a device, a
directory, a FIFO, a socket, a symbolic link, names over NAME_MAX or
PATH_MAX, a missing or unwritable directory, a fork child's or a sibling
format's path that is one of these. Each is refused with one line naming
LIBPROF_OUT; the program (coreutils sort) runs with its output and exit
status unchanged; nothing is created or replaced. Also: `libprof record -o`
refuses them before running anything, a full disk keeps the earlier file,
and a 5000-character LIBPROF_HZ gives one clean line.

  test_outpath.py LIBPROF_SO LIBPROF_TOOL

Cases that need root (devices, other uids, pid namespaces, tmpfs) say
"skip" when not root. Prints "N passed, N failed"."""
import os
import socket
import stat
import subprocess
import sys
import tempfile

lib, tool = sys.argv[1], sys.argv[2]
root = os.geteuid() == 0
top = tempfile.mkdtemp(prefix="libprof-outpath-")
os.chmod(top, 0o755)  # the unprivileged case reads the input from here
inp = os.path.join(top, "input.txt")
with open(inp, "w") as f:
    f.write("b\na\n")
os.chmod(inp, 0o644)
passed = failed = 0


def report(name, ok, detail=""):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + detail))
    passed, failed = passed + ok, failed + (not ok)


def snapshot(d):
    """Names, kinds and inodes under d (links not followed)."""
    out = {}
    for dirpath, dirs, files in os.walk(d):
        for n in dirs + files:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            out[p] = (st.st_mode, st.st_ino, st.st_size, st.st_rdev)
    return out


def run_sort(env_extra, prefix=()):
    """sort under libprof: its own output and status twice (a normal run
    and `sort -C`, which exits 1 on unsorted input)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LIBPROF") and k != "LD_PRELOAD"}
    env.update(env_extra)
    res = []
    for args, want_out, want_rc in ((["sort", inp], "a\nb\n", 0),
                                    (["sort", "-C", inp], "", 1)):
        # Only sort is profiled (env execs it in the same process).
        r = subprocess.run(list(prefix) + ["env", "LD_PRELOAD=" + lib] + args,
                           env=env, capture_output=True, text=True,
                           timeout=60)
        lines = [l for l in r.stderr.splitlines() if l.startswith("libprof")]
        res.append((r.returncode == want_rc and r.stdout == want_out, lines,
                    r))
    return res


def refused(name, out, d, env_extra=None, prefix=(), needle="LIBPROF_OUT",
            watch=(), var="LIBPROF_OUT"):
    """out must be refused at start, leaving d and `watch` untouched."""
    before = snapshot(d)
    extra = [(p, os.lstat(p)) for p in watch]
    env = dict(env_extra or {}, LIBPROF_OUT=out)
    for ok, lines, r in run_sort(env, prefix):
        good = (ok and len(lines) == 1 and lines[0].startswith("libprof: ") and
                needle in lines[0] and var in lines[0] and
                lines[0].endswith("profiling is off"))
        good = good and snapshot(d) == before
        for p, st in extra:
            now = os.lstat(p)
            good = good and (now.st_ino, now.st_mode, now.st_rdev) == (
                st.st_ino, st.st_mode, st.st_rdev)
        report(name, good, f"rc={r.returncode} out={r.stdout!r} "
               f"lines={lines} dir={sorted(snapshot(d))}")
        if not good:
            return


def case_dir(name):
    d = os.path.join(top, name)
    os.mkdir(d)
    os.chmod(d, 0o755)
    return d


# -- kinds of files that are not regular files ------------------------------
d = case_dir("kinds")
os.mkdir(os.path.join(d, "dir.json"))
refused("directory", os.path.join(d, "dir.json"), d,
        needle="dir.json is a directory")
refused("directory given as such", d, d, needle="is a directory")
os.mkfifo(os.path.join(d, "fifo.json"))
refused("FIFO", os.path.join(d, "fifo.json"), d, needle="is a FIFO")
sock = socket.socket(socket.AF_UNIX)
sock.bind(os.path.join(d, "sock.json"))
refused("socket", os.path.join(d, "sock.json"), d, needle="is a socket")
sock.close()
with open(os.path.join(d, "target.json"), "w") as f:
    f.write("target\n")
os.symlink("target.json", os.path.join(d, "link.json"))
refused("symlink to a file", os.path.join(d, "link.json"), d,
        needle="is a symbolic link")
os.symlink("nowhere.json", os.path.join(d, "dangling.json"))
refused("dangling symlink", os.path.join(d, "dangling.json"), d,
        needle="is a symbolic link")
os.mkdir(os.path.join(d, "sib.d3.json"))
refused("sibling format path is a directory", os.path.join(d, "sib.json"), d,
        {"LIBPROF_FORMAT": "speedscope,d3"}, needle="sib.d3.json is a dir")
if root:
    os.mknod(os.path.join(d, "dev.json"), stat.S_IFCHR | 0o666,
             os.makedev(1, 3))
    refused("character device (mknod)", os.path.join(d, "dev.json"), d,
            needle="is a device")
    # In a private mount namespace with its own /dev: a libprof that
    # replaced /dev/null there harms nothing else on the machine, and the
    # wrapper reports it (an extra "libprof-test" line, status 99).
    private_dev = ["unshare", "--mount", "sh", "-c",
                   'mount -t tmpfs tmpfs /dev && mknod -m 666 /dev/null c 1 3'
                   ' || exit 98; "$@"; rc=$?; [ -c /dev/null ] || { echo '
                   '"libprof-test: /dev/null was replaced" >&2; exit 99; }; '
                   'exit $rc', "sh"]
    if subprocess.run(["unshare", "--mount", "true"]).returncode == 0:
        refused("/dev/null as root", "/dev/null", d, needle="is a device",
                prefix=private_dev, watch=["/dev/null"])
    else:
        print("skip /dev/null: no private mount namespace (unshare --mount)")
else:
    print("skip devices: mknod and writing /dev need root")

# -- names and directories -------------------------------------------------
d = case_dir("names")
refused("300-byte file name", os.path.join(d, "n" * 295 + ".json"), d,
        needle="over NAME_MAX")
refused("300-byte directory name",
        os.path.join(d, "n" * 300, "p.json"), d, needle="over NAME_MAX")
deep = os.path.join(d, *(["p" * 200] * 21), "p.json")
refused("path over PATH_MAX", deep, d, needle="shorter than 4096 bytes")
refused("missing directory", os.path.join(d, "missing", "p.json"), d,
        needle="existing, writable directory")
refused("a file used as directory", os.path.join(inp, "p.json"), d,
        needle="Not a directory")
if root:
    ro = case_dir("readonly")
    refused("directory not writable (uid 65534)", os.path.join(ro, "p.json"),
            ro, prefix=["setpriv", "--reuid=65534", "--regid=65534",
                        "--clear-groups"], needle="cannot create files")
else:
    print("skip unwritable directory: needs root to switch to uid 65534")

# -- fork children's paths: in a pid namespace the pids are 1, 2, 3...,
# so every child's file p.<pid>.json can be made a directory beforehand.
if root and subprocess.run(["unshare", "--pid", "--fork", "true"]).returncode == 0:
    d = case_dir("fork")
    for pid in range(2, 64):
        os.mkdir(os.path.join(d, f"p.{pid}.json"))
    before = snapshot(d)
    out = os.path.join(d, "p.json")
    r = subprocess.run(
        ["unshare", "--pid", "--fork", "env", "LD_PRELOAD=" + lib,
         "LIBPROF_OUT=" + out, "LIBPROF_QUIET=1", "bash", "-c",
         f"(sort {inp}); sort {inp}; exit 3"],
        capture_output=True, text=True, timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("LIBPROF")})
    lines = [l for l in r.stderr.splitlines() if l.startswith("libprof")]
    after = snapshot(d)
    ok = (r.returncode == 3 and r.stdout == "a\nb\na\nb\n" and
          len(lines) >= 2 and
          all("LIBPROF_OUT" in l and "is a directory" in l and
              l.endswith("profiling is off") for l in lines) and
          stat.S_ISREG(os.lstat(out).st_mode) and
          {p: v for p, v in after.items() if p != out} == before)
    report("fork and exec children refuse a derived path at start", ok,
           f"rc={r.returncode} out={r.stdout!r} lines={lines}")
else:
    print("skip fork children: needs root for a pid namespace")

# -- libprof record -o refuses before the program runs ------------------------
d = case_dir("record")
os.mkfifo(os.path.join(d, "fifo.json"))
for out in (d, os.path.join(d, "fifo.json"), os.path.join(d, "x" * 300),
            os.path.join(d, "missing", "p.json")):
    before = snapshot(d)
    r = subprocess.run([tool, "record", "-o", out, "--", "sort", inp],
                       capture_output=True, text=True, timeout=60)
    lines = r.stderr.splitlines()
    ok = (r.returncode == 2 and r.stdout == "" and len(lines) == 1 and
          lines[0].startswith("libprof record: -o ") and
          snapshot(d) == before)
    report(f"record -o {os.path.basename(out)[:20]} refused", ok,
           f"rc={r.returncode} out={r.stdout!r} err={r.stderr!r}")

# -- a full disk: the write fails at exit, the earlier file stays ----------------
# The host is bash: coreutils close stderr at exit, before libprof's
# summary line, which this case reads.
def fill(mnt):
    try:
        with open(os.path.join(mnt, "filler"), "ab") as f:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
    except OSError:
        pass


def run_full(out):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LIBPROF") and k != "LD_PRELOAD"}
    r = subprocess.run(["env", "LD_PRELOAD=" + lib, "LIBPROF_OUT=" + out,
                        "bash", "-c", "echo running; exit 3"], env=env,
                       capture_output=True, text=True, timeout=60)
    lines = [l for l in r.stderr.splitlines() if l.startswith("libprof")]
    return (r.returncode == 3 and r.stdout == "running\n" and len(lines) == 1
            and f"NOT written to {out}" in lines[0]), lines


if root:
    mnt = case_dir("tmpfs")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs",
                       mnt]).returncode == 0:
        try:
            out = os.path.join(mnt, "p.json")
            with open(out, "w") as f:
                f.write("earlier\n")
            fill(mnt)
            before = snapshot(mnt)
            ok, lines = run_full(out)
            report("disk full keeps the earlier file", ok and
                   snapshot(mnt) == before and open(out).read() == "earlier\n",
                   f"lines={lines} dir={sorted(snapshot(mnt))}")
            os.unlink(out)
            fill(mnt)
            before = snapshot(mnt)
            ok, lines = run_full(out)
            report("disk full leaves no file", ok and snapshot(mnt) == before,
                   f"lines={lines} dir={sorted(snapshot(mnt))}")
        finally:
            subprocess.run(["umount", mnt])
    else:
        print("skip disk full: mount -t tmpfs failed")
else:
    print("skip disk full: mounting a small tmpfs needs root")

# -- a value far over the message buffer ---------------------------------------
d = case_dir("hz")
refused("5000-character LIBPROF_HZ", os.path.join(d, "p.json"), d,
        {"LIBPROF_HZ": "9" * 5000}, needle="an integer from 1 to 100000",
        var="LIBPROF_HZ")

# -- the checks are not vacuous: a plain path and a regular file are taken -------
d = case_dir("good")
out = os.path.join(d, "p.json")
with open(out, "w") as f:
    f.write("earlier\n")
ok, lines, r = run_sort({"LIBPROF_OUT": out, "LIBPROF_QUIET": "1"})[0]
report("a regular file is replaced", ok and lines == [] and
       open(out).read().startswith("{"), f"lines={lines}")

subprocess.run(["rm", "-rf", top])
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
